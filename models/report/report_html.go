package report

const reportHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.15em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;font-size:.88em;margin:.5em 0} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
.light{padding:.1em .6em;border-radius:.8em;font-weight:600;color:#fff}
.green{background:#3a9e4f}.yellow{background:#d9a520}.red{background:#b8322f}.unknown{background:#888}
.charts{display:flex;flex-wrap:wrap;gap:1em} .muted{color:#666;font-size:.9em} code{font-size:.9em}
.champion{font-weight:700}
</style></head><body>
<h1>{{.Title}}</h1>
<p class="muted">{{.Kind}} report · {{.Created}} · Credence {{.Credence}}</p>
<p>Overall: {{light .Light}} {{range .LightReasons}}<br><span class="muted">{{.}}</span>{{end}}</p>

<h2>Headline</h2>
<table><tr><th>metric</th><th>value</th><th>note</th></tr>
{{range .Headline}}<tr><td>{{.Name}}</td><td>{{f 4 .Value}}</td><td>{{.Note}}</td></tr>{{end}}
</table>

{{if .Candidates}}<h2>Champion and challengers</h2>
<table><tr><th>family</th><th>CV AUC ± SE</th><th>test AUC</th><th>95% CI</th><th>Gini</th><th>KS</th><th>Brier</th><th>log loss</th><th>calibration</th><th></th></tr>
{{range .Candidates}}<tr{{if .Champion}} class="champion"{{end}}><td>{{.Family}}</td><td>{{f 4 .CVAUC}} ± {{f 4 .CVSE}}</td><td>{{f 4 .AUC}}</td><td>{{f 4 .AUCLow}}–{{f 4 .AUCHigh}}</td><td>{{f 4 .Gini}}</td><td>{{f 4 .KS}}</td><td>{{f 4 .Brier}}</td><td>{{f 4 .LogLoss}}</td><td>{{light .Calibration}}</td><td>{{if .Champion}}champion{{end}} {{.Note}}</td></tr>{{end}}
</table>{{end}}

{{if .Tuning}}<h2>Hyperparameter tuning</h2>
<p class="muted">Successive halving within {{.TuningBudget}}: each rung fits the candidates on a share of every fold's customers, judges them by cross-validated AUC on the selection folds and promotes the best third; the configured configuration is always a candidate.</p>
<table><tr><th>family</th><th>candidates</th><th>rungs</th><th>CV AUC configured</th><th>CV AUC chosen</th><th>chosen</th><th>budget (s)</th><th>planned (s)</th><th>took (s)</th></tr>
{{range .Tuning}}<tr><td>{{.Family}}</td><td>{{.Candidates}}</td><td>{{.Rungs}}</td><td>{{f 4 .DefaultAUC}}</td><td>{{f 4 .BestAUC}}</td><td>{{if .Changed}}tuned{{else}}as configured{{end}}</td><td>{{f 1 .BudgetSeconds}}</td><td>{{f 1 .PlannedSeconds}}</td><td>{{f 1 .Seconds}}</td></tr>
{{if .Config}}<tr><td></td><td colspan="8" style="text-align:left"><code>{{rawjson .Config}}</code></td></tr>{{end}}{{if .Note}}<tr><td></td><td colspan="8" class="muted" style="text-align:left">{{.Note}}</td></tr>{{end}}{{end}}
</table>{{end}}

<h2>Discrimination</h2>
<div class="charts">{{if .ROC}}<figure>{{roc .ROC}}<figcaption>ROC</figcaption></figure>{{end}}
{{if .KS}}<figure>{{ks .KS}}<figcaption>KS: cumulative shares of defaults and non-defaults by score</figcaption></figure>{{end}}
{{if .Scores}}<figure>{{hist .Scores}}<figcaption>Score distribution of defaults and non-defaults</figcaption></figure>{{end}}</div>

{{if .Calibration}}<h2>Calibration by grade</h2>
<div class="charts"><figure>{{calib .Calibration}}<figcaption>Observed default rate (Jeffreys 95% interval) against the grade's PD</figcaption></figure></div>
<table><tr><th>grade</th><th>n</th><th>defaults</th><th>observed DR</th><th>PD</th><th>Jeffreys 95%</th><th>Jeffreys p</th><th>binomial p</th><th>light</th></tr>
{{range .Calibration}}<tr><td>{{.Grade}}</td><td>{{.N}}</td><td>{{.Defaults}}</td><td>{{pct .ObservedDR}}</td><td>{{pct .PD}}</td><td>{{pct .Low}}–{{pct .High}}</td><td>{{f 4 .Jeffreys}}</td><td>{{f 4 .Binomial}}</td><td>{{light .Light}}</td></tr>{{end}}
</table>{{range .CalibrationNotes}}<p class="muted">{{.}}</p>{{end}}{{end}}

{{if .ScorePSI}}<h2>Stability</h2>
<p>Score PSI {{f 4 .ScorePSI.PSI}} ({{.ScorePSI.Band}}): &lt; 0.10 stable, 0.10–0.25 investigate, ≥ 0.25 shifted.</p>
<table><tr><th>bin</th><th>expected</th><th>actual</th></tr>
{{range $i, $b := .ScorePSI.Bins}}<tr><td>{{$b}}</td><td>{{pct (index $.ScorePSI.Expected $i)}}</td><td>{{pct (index $.ScorePSI.Actual $i)}}</td></tr>{{end}}
</table>{{end}}
{{if .FeaturePSI}}<h3>Feature stability (CSI)</h3>
<table><tr><th>feature</th><th>PSI</th><th>band</th></tr>
{{range .FeaturePSI}}<tr><td>{{.Feature}}</td><td>{{f 4 .PSI}}</td><td>{{.Band}}</td></tr>{{end}}</table>{{end}}

{{if or .IV .Importance}}<h2>Features</h2><div class="charts">
{{if .IV}}<figure>{{bars .IV 25}}<figcaption>Information value (top 25)</figcaption></figure>{{end}}
{{if .Importance}}<figure>{{bars .Importance 25}}<figcaption>Importance of the champion (top 25)</figcaption></figure>{{end}}
</div>{{end}}

{{if .Scorecard}}<h2>Scorecard</h2>
<table><tr><th>feature</th><th>bin</th><th>count</th><th>share</th><th>default rate</th><th>WoE</th><th>IV</th><th>points</th></tr>
{{range .Scorecard}}<tr><td>{{.Feature}}</td><td>{{.Bin}}</td><td>{{.Count}}</td><td>{{pct .Share}}</td><td>{{pct .EventRate}}</td><td>{{f 3 .WoE}}</td><td>{{f 4 .IV}}</td><td>{{f 0 .Points}}</td></tr>{{end}}
</table>{{end}}

<h2>Model card</h2>
<table>
<tr><td>version</td><td>{{.Model.Version}}</td></tr>
<tr><td>family</td><td>{{.Model.Family}}</td></tr>
<tr><td>purpose</td><td>{{.Model.Purpose}}</td></tr>
<tr><td>book</td><td>{{.Model.Book}}</td></tr>
<tr><td>data window</td><td>{{.Model.DataWindow}}</td></tr>
<tr><td>split</td><td>{{.Model.Split}}</td></tr>
<tr><td>horizon</td><td>{{.Model.Horizon}}</td></tr>
<tr><td>observations</td><td>{{.Model.Observations}}</td></tr>
<tr><td>feature set</td><td>{{.Model.FeatureSet}} ({{len .Model.Features}} features)</td></tr>
<tr><td>data fingerprint</td><td><code>{{.Model.DataFingerprint}}</code></td></tr>
<tr><td>hyper-parameters</td><td><code>{{rawjson .Model.HyperParameters}}</code></td></tr>
</table>
<h3>Limitations</h3><ul>{{range .Model.Limitations}}<li>{{.}}</li>{{end}}</ul>
{{if .Notes}}<h3>Notes</h3><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`
