package rescore

import (
	"html/template"

	"github.com/credence-risk/credence/models/report"
)

var reportTemplate = report.NewPage("rescore", reportHTML, template.FuncMap{
	"bars": func(rows []GradeRow) template.HTML {
		grades, counts, shares := make([]int, len(rows)), make([]int64, len(rows)), make([]report.Num, len(rows))
		for i, r := range rows {
			grades[i], counts[i], shares[i] = r.Grade, r.Rows, r.Share
		}
		return report.GradeShareChart(grades, counts, shares, gradeCount)
	},
	"skipped": skippedRows,
	"mul100":  func(x float64) float64 { return 100 * x },
})

const reportHTML = `{{template "head" .Title}}
<h1>{{.Title}}</h1>
<p class="muted">rescoring report · {{.Created}} · Credence {{.Credence}}</p>
<p>Model <b>{{.Model.Version}}</b> ({{.Model.Family}}, feature set <code>{{.Model.FeatureSet}}</code>) as of <b>{{.AsOf}}</b>; scores in <code>{{.Output}}</code>.{{if .Currency}} Amounts in {{.Currency}}.{{end}}</p>

<section id="headline"><h2>Headline</h2>
<table><tr><th>figure</th><th>value</th><th>note</th></tr>
{{range .Headline}}<tr><td>{{.Name}}</td><td>{{metric .}}</td><td class="text">{{or .Note "–"}}</td></tr>{{end}}
</table>
<table><tr><th>counted</th><th>n</th></tr>
<tr><td>customers read</td><td>{{count .Counts.Customers}}</td></tr>
{{if .Counts.Observations}}<tr><td>observations read</td><td>{{count .Counts.Observations}}</td></tr>{{end}}
<tr><td>rows scored</td><td>{{count .Counts.Rows}}</td></tr>
{{range skipped .Counts.Skipped}}<tr><td>skipped: {{.Reason}}</td><td>{{count .N}}</td></tr>{{end}}
<tr><td>in default at as_of</td><td>{{count .Counts.InDefault}}</td></tr>
<tr><td>limit not computed</td><td>{{count .Counts.LimitErrors}}</td></tr>
</table>
{{if .Counts.FirstLimitError}}<p class="muted">First limit not computed: {{.Counts.FirstLimitError}}</p>{{end}}</section>

<section id="grades"><h2>Grades</h2>
<div>{{bars .Grades}}</div>
<table><tr><th>grade</th><th>rows</th><th>share</th><th>mean PD</th><th>recommended limits</th><th>expected loss</th></tr>
{{range .Grades}}<tr><td>{{.Grade}}</td><td>{{count .Rows}}</td><td>{{pct .Share}}</td><td>{{pct .MeanPD}}</td><td>{{amount .Limits}}</td><td>{{amount .ExpectedLoss}}</td></tr>{{end}}
</table></section>

{{if .PSI}}<section id="stability"><h2>Stability of the PD against training</h2>
<p>PSI {{f 4 .PSI.PSI}} ({{.PSI.Band}}): &lt; 0.10 stable, 0.10–0.25 investigate, ≥ 0.25 shifted.</p>
<table><tr><th>PD bin</th><th>training</th><th>now</th></tr>
{{range $i, $b := .PSI.Bins}}<tr><td>{{$b}}</td><td>{{pct (index $.PSI.Expected $i)}}</td><td>{{pct (index $.PSI.Actual $i)}}</td></tr>{{end}}
</table></section>{{end}}

{{with .Migration}}<section id="migration"><h2>Migration against the previous rescoring</h2>
<p>Previous: <code>{{.Previous}}</code>{{if .PreviousModel}} (model {{.PreviousModel}}){{end}}.
{{count .Matched}} customers in both, {{count .New}} new, {{count .Gone}} gone;
{{count .Upgrades}} upgrades, {{count .Downgrades}} downgrades, {{count .Unchanged}} unchanged.</p>
{{migration .Grades .Matrix}}
<p class="muted">Rows: previous grade; columns: current grade. Shading: share of the previous grade (blue: unchanged, green: upgraded, red: downgraded).</p>
{{if .Rises}}<h3>Early warning: largest PD rises</h3>
<table><tr><th>customer</th><th>previous PD</th><th>PD</th><th>rise</th><th>previous grade</th><th>grade</th></tr>
{{range .Rises}}<tr><td>{{.CustomerID}}</td><td>{{printf "%.2f%%" (mul100 .PreviousPD)}}</td><td>{{printf "%.2f%%" (mul100 .PD)}}</td><td>{{printf "%+.2f pp" (mul100 .Rise)}}</td><td>{{.PreviousGrade}}</td><td>{{.Grade}}</td></tr>{{end}}
</table>{{end}}</section>{{end}}

{{if .Notes}}<section id="notes"><h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul></section>{{end}}
</body></html>
`
