package rescore

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/credence-risk/credence/models/report"
)

var reportTemplate = template.Must(template.New("rescore").Funcs(template.FuncMap{
	"f":       func(prec int, x report.Num) string { return fmtFloat(float64(x), prec) },
	"pct":     func(x report.Num) string { return fmtPercent(float64(x)) },
	"amount":  func(x report.Num) string { return fmtAmount(float64(x)) },
	"count":   func(n int64) string { return fmtAmount(float64(n)) },
	"bars":    gradeChart,
	"matrix":  migrationTable,
	"skipped": skippedRows,
	"mul100":  func(x float64) float64 { return 100 * x },
	"metric":  fmtMetric,
}).Parse(reportHTML))

func fmtFloat(x float64, prec int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return fmt.Sprintf("%.*f", prec, x)
}

// fmtPercent writes a share as a percentage.
func fmtPercent(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return fmtFloat(100*x, 2) + "%"
}

// fmtAmount writes x rounded to a unit with thousands separators.
func fmtAmount(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	s := fmt.Sprintf("%.0f", math.Abs(x))
	var b strings.Builder
	if x < 0 && s != "0" {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtMetric writes a headline figure in its unit.
func fmtMetric(m Metric) string {
	x := float64(m.Value)
	switch m.Unit {
	case UnitShare:
		return fmtPercent(x)
	case UnitIndex:
		return fmtFloat(x, 4)
	}
	return fmtAmount(x)
}

// gradeChart draws the share of rows in each grade as vertical bars.
func gradeChart(rows []GradeRow) template.HTML {
	const w, h, padL, padB, padT = 480.0, 260.0, 44.0, 34.0, 18.0
	top := 0.0
	for _, r := range rows {
		top = math.Max(top, float64(r.Share))
	}
	if !(top > 0) {
		return ""
	}
	top = math.Ceil(top*10) / 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart grades" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img">`, w, h, w, h)
	y := func(v float64) float64 { return h - padB - v/top*(h-padB-padT) }
	for k := 0; k <= 4; k++ {
		v := top * float64(k) / 4
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#eee"/>`, padL, y(v), w-8, y(v))
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" font-size="10" text-anchor="end">%.0f%%</text>`, padL-4, y(v)+3, 100*v)
	}
	slot := (w - padL - 8) / float64(len(rows))
	for i, r := range rows {
		x := padL + slot*float64(i)
		share := float64(r.Share)
		if math.IsNaN(share) {
			share = 0
		}
		fill := "#1f5fa8"
		if r.Grade == gradeCount {
			fill = "#b8322f"
		}
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>grade %d: %d rows (%.2f%%)</title></rect>`,
			x+slot*0.15, y(share), slot*0.7, y(0)-y(share), fill, r.Grade, r.Rows, 100*share)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9" text-anchor="middle">%.1f%%</text>`, x+slot/2, y(share)-3, 100*share)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="10" text-anchor="middle">%d</text>`, x+slot/2, h-padB+13, r.Grade)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11" text-anchor="middle">grade (10 = in default)</text>`, (padL+w)/2, h-4)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// migrationTable renders the matrix with each cell shaded by its share of
// the row (the previous grade): blue on the diagonal, green for upgrades,
// red for downgrades.
func migrationTable(m *MigrationReport) template.HTML {
	var b strings.Builder
	b.WriteString(`<table class="migration"><tr><th>previous \ current</th>`)
	for _, g := range m.Grades {
		fmt.Fprintf(&b, `<th>%d</th>`, g)
	}
	b.WriteString(`<th>total</th></tr>`)
	cols := make([]int64, len(m.Grades))
	for i, from := range m.Grades {
		var total int64
		for _, n := range m.Matrix[i] {
			total += n
		}
		fmt.Fprintf(&b, `<tr><th>%d</th>`, from)
		for j, to := range m.Grades {
			n := m.Matrix[i][j]
			cols[j] += n
			share := 0.0
			if total > 0 {
				share = float64(n) / float64(total)
			}
			rgb := "31,95,168"
			switch {
			case to < from:
				rgb = "58,158,79"
			case to > from:
				rgb = "184,50,47"
			}
			fmt.Fprintf(&b, `<td style="background:rgba(%s,%.2f)" title="%.1f%% of grade %d">%s</td>`, rgb, 0.08+0.72*share, 100*share, from, fmtAmount(float64(n)))
		}
		fmt.Fprintf(&b, `<td>%s</td></tr>`, fmtAmount(float64(total)))
	}
	b.WriteString(`<tr><th>total</th>`)
	var all int64
	for _, n := range cols {
		all += n
		fmt.Fprintf(&b, `<td>%s</td>`, fmtAmount(float64(n)))
	}
	fmt.Fprintf(&b, `<td>%s</td></tr></table>`, fmtAmount(float64(all)))
	return template.HTML(b.String())
}

const reportHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.15em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;font-size:.88em;margin:.5em 0} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
table.migration td{min-width:3.5em} td.note{text-align:left} .muted{color:#666;font-size:.9em} code{font-size:.9em}
</style></head><body>
<h1>{{.Title}}</h1>
<p class="muted">rescoring report · {{.Created}} · Credence {{.Credence}}</p>
<p>Model <b>{{.Model.Version}}</b> ({{.Model.Family}}, feature set <code>{{.Model.FeatureSet}}</code>) as of <b>{{.AsOf}}</b>; scores in <code>{{.Output}}</code>.{{if .Currency}} Amounts in {{.Currency}}.{{end}}</p>

<h2>Headline</h2>
<table><tr><th>figure</th><th>value</th><th>note</th></tr>
{{range .Headline}}<tr><td>{{.Name}}</td><td>{{metric .}}</td><td class="note">{{.Note}}</td></tr>{{end}}
</table>
<table><tr><th>counted</th><th>n</th></tr>
<tr><td>customers read</td><td>{{count .Counts.Customers}}</td></tr>
{{if .Counts.Observations}}<tr><td>observations read</td><td>{{count .Counts.Observations}}</td></tr>{{end}}
<tr><td>rows scored</td><td>{{count .Counts.Rows}}</td></tr>
{{range skipped .Counts.Skipped}}<tr><td>skipped: {{.Reason}}</td><td>{{count .N}}</td></tr>{{end}}
<tr><td>in default at as_of</td><td>{{count .Counts.InDefault}}</td></tr>
<tr><td>limit not computed</td><td>{{count .Counts.LimitErrors}}</td></tr>
</table>
{{if .Counts.FirstLimitError}}<p class="muted">First limit not computed: {{.Counts.FirstLimitError}}</p>{{end}}

<h2>Grades</h2>
<div>{{bars .Grades}}</div>
<table><tr><th>grade</th><th>rows</th><th>share</th><th>mean PD</th><th>recommended limits</th><th>expected loss</th></tr>
{{range .Grades}}<tr><td>{{.Grade}}</td><td>{{count .Rows}}</td><td>{{pct .Share}}</td><td>{{pct .MeanPD}}</td><td>{{amount .Limits}}</td><td>{{amount .ExpectedLoss}}</td></tr>{{end}}
</table>

{{if .PSI}}<h2>Stability of the PD against training</h2>
<p>PSI {{f 4 .PSI.PSI}} ({{.PSI.Band}}): &lt; 0.10 stable, 0.10–0.25 investigate, ≥ 0.25 shifted.</p>
<table><tr><th>PD bin</th><th>training</th><th>now</th></tr>
{{range $i, $b := .PSI.Bins}}<tr><td>{{$b}}</td><td>{{pct (index $.PSI.Expected $i)}}</td><td>{{pct (index $.PSI.Actual $i)}}</td></tr>{{end}}
</table>{{end}}

{{with .Migration}}<h2>Migration against the previous rescoring</h2>
<p>Previous: <code>{{.Previous}}</code>{{if .PreviousModel}} (model {{.PreviousModel}}){{end}}.
{{count .Matched}} customers in both, {{count .New}} new, {{count .Gone}} gone;
{{count .Upgrades}} upgrades, {{count .Downgrades}} downgrades, {{count .Unchanged}} unchanged.</p>
{{matrix .}}
<p class="muted">Rows: previous grade; columns: current grade. Shading: share of the previous grade (blue: unchanged, green: upgraded, red: downgraded).</p>
{{if .Rises}}<h3>Early warning: largest PD rises</h3>
<table><tr><th>customer</th><th>previous PD</th><th>PD</th><th>rise</th><th>previous grade</th><th>grade</th></tr>
{{range .Rises}}<tr><td>{{.CustomerID}}</td><td>{{printf "%.2f%%" (mul100 .PreviousPD)}}</td><td>{{printf "%.2f%%" (mul100 .PD)}}</td><td>{{printf "%+.2f pp" (mul100 .Rise)}}</td><td>{{.PreviousGrade}}</td><td>{{.Grade}}</td></tr>{{end}}
</table>{{end}}{{end}}

{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`
