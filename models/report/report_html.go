package report

const reportHTML = `{{template "head" .Title}}
<h1>{{.Title}}</h1>
<p class="muted">{{.Kind}} report · {{.Created}} · Credence {{.Credence}}</p>
<section id="overall"><p>Overall: {{light .Light}}{{range .LightReasons}}<br><span class="muted">{{.}}</span>{{end}}</p>
{{if .LightRule}}<p class="muted">How the overall light is set: {{.LightRule}}</p>{{end}}</section>

<section id="headline"><h2>Headline</h2>
<table><tr><th>metric</th><th>value</th><th>note</th></tr>
{{range .Headline}}<tr><td>{{.Name}}</td><td>{{metric .}}</td><td class="text">{{or .Note "–"}}</td></tr>{{end}}
</table></section>

{{if .Candidates}}<section id="candidates"><h2>Champion and challengers</h2>
<table><tr><th>family</th><th>CV AUC ± SE</th><th>test AUC</th><th>95% CI</th><th>Gini</th><th>KS</th><th>Brier</th><th>log loss</th><th>calibration</th><th>note</th></tr>
{{range .Candidates}}<tr{{if .Champion}} class="champion"{{end}}><td>{{.Family}}</td><td>{{f 4 .CVAUC}} ± {{f 4 .CVSE}}</td><td>{{f 4 .AUC}}</td><td>{{f 4 .AUCLow}}–{{f 4 .AUCHigh}}</td><td>{{f 4 .Gini}}</td><td>{{f 4 .KS}}</td><td>{{f 4 .Brier}}</td><td>{{f 4 .LogLoss}}</td><td>{{light .Calibration}}</td><td class="text">{{if .Champion}}champion{{if .Note}}; {{.Note}}{{end}}{{else}}{{or .Note "–"}}{{end}}</td></tr>{{end}}
</table></section>{{end}}

{{if .Tuning}}<section id="tuning"><h2>Hyperparameter tuning</h2>
<p class="muted">Successive halving within {{.TuningBudget}}: each rung fits the candidates on a share of every fold's customers, judges them by cross-validated AUC on the selection folds and promotes the best third; the configured configuration is always a candidate.</p>
<table><tr><th>family</th><th>candidates</th><th>rungs</th><th>CV AUC configured</th><th>CV AUC chosen</th><th>chosen</th><th>budget (s)</th><th>planned (s)</th><th>took (s)</th></tr>
{{range .Tuning}}<tr><td>{{.Family}}</td><td>{{.Candidates}}</td><td>{{.Rungs}}</td><td>{{f 4 .DefaultAUC}}</td><td>{{f 4 .BestAUC}}</td><td>{{if .Changed}}tuned{{else}}as configured{{end}}</td><td>{{f 1 .BudgetSeconds}}</td><td>{{f 1 .PlannedSeconds}}</td><td>{{f 1 .Seconds}}</td></tr>
{{if .Config}}<tr><td>configuration</td><td colspan="8" class="text">{{params .Config}}</td></tr>{{end}}{{if .Note}}<tr><td>note</td><td colspan="8" class="text muted">{{.Note}}</td></tr>{{end}}{{end}}
</table></section>{{end}}

<section id="discrimination"><h2>Discrimination</h2>
<div class="charts">{{if .ROC}}<figure id="roc">{{roc .ROC}}<figcaption>ROC: the share of defaults against the share of non-defaults flagged as the PD threshold falls; the dashed diagonal is a random ranking.</figcaption></figure>{{end}}
{{if .KS}}<figure id="ks">{{ks .KS}}<figcaption>KS: cumulative shares of defaults and non-defaults flagged, riskiest first; KS is the largest gap between the two curves.</figcaption></figure>{{end}}
{{if .Scores}}<figure id="scores">{{hist .Scores}}<figcaption>Score distribution of defaults and non-defaults, each as a share of its group.</figcaption></figure>{{end}}</div></section>

{{if .ByAsOf}}<section id="by-as-of"><h2>Performance by as-of date</h2>
<table><tr><th>as of</th><th>observations</th><th>defaults</th><th>observed DR</th><th>mean PD</th><th>AUC</th></tr>
{{range .ByAsOf}}<tr><td>{{.AsOf}}</td><td>{{count .N}}{{if .Rows}} <span class="muted">({{count .Rows}} sampled)</span>{{end}}</td><td>{{count .Defaults}}</td><td>{{pct .ObservedDR}}</td><td>{{pct .MeanPD}}</td><td>{{f 4 .AUC}}</td></tr>{{end}}
</table><p class="muted">AUC is shown as – on a date whose observations hold no defaults (or only defaults).</p></section>{{end}}

{{if .MasterScale}}<section id="master-scale"><h2>Master scale</h2>
<p class="muted">Observed over the observations this report measures; a grade's PD band is fixed by the scale, its mean PD is where the model puts its members.</p>
<table><tr><th>grade</th><th style="text-align:left">name</th><th>PD band</th><th>observations</th><th>defaults</th><th>observed DR</th><th>mean PD</th></tr>
{{range .MasterScale}}<tr><td>{{.Grade}}</td><td class="text">{{.Name}}</td><td>{{if eq .Grade 1}}0%{{else}}above {{pct .Lower}}{{end}} up to {{pct .Upper}}</td><td>{{count .N}}{{if .Rows}} <span class="muted">({{count .Rows}} sampled)</span>{{end}}</td><td>{{count .Defaults}}</td><td>{{if .N}}{{pct .ObservedDR}}{{else}}no observations{{end}}</td><td>{{if .N}}{{pct .MeanPD}}{{else}}no observations{{end}}</td></tr>{{end}}
<tr><td>10</td><td class="text">default</td><td>in default at the as-of date</td><td colspan="4" class="text muted">not scored: such observations are left out</td></tr>
</table></section>{{end}}

{{if .Calibration}}<section id="calibration"><h2>Calibration by grade</h2>
<div class="charts"><figure>{{calib .Calibration}}<figcaption>Observed default rate (dot, with its Jeffreys 95% interval) against the grade's mean PD (bar), in percent on a log scale.</figcaption></figure></div>
<table><tr><th>grade</th><th>n</th><th>defaults</th><th>observed DR</th><th>PD</th><th>Jeffreys 95%</th><th>Jeffreys p</th><th>binomial p</th><th>light</th></tr>
{{range .Calibration}}<tr><td>{{.Grade}}</td><td>{{count .N}}{{if .Rows}} <span class="muted">({{count .Rows}} sampled)</span>{{end}}</td><td>{{count .Defaults}}</td><td>{{pct .ObservedDR}}</td><td>{{pct .PD}}</td><td>{{pct .Low}}–{{pct .High}}</td><td>{{pvalue .Jeffreys}}</td><td>{{pvalue .Binomial}}</td><td>{{light .Light}}</td></tr>{{end}}
</table>
<p class="muted">A grade's light rates its Jeffreys p: green above 0.05, yellow from 0.001 to 0.05, red at 0.001 or below (the observed default rate is too far from the PD to be chance).</p>
{{range .CalibrationNotes}}<p class="muted">{{.}}</p>{{end}}</section>{{end}}

{{if or .ScorePSI .FeaturePSI}}<section id="stability"><h2>Stability</h2>
{{with .ScorePSI}}<p>PD PSI {{f 4 .PSI}} ({{.Band}}): &lt; 0.10 stable, 0.10–0.25 investigate, ≥ 0.25 shifted.</p>
<table id="psi-bins"><tr><th>PD bin</th><th>expected (training)</th><th>actual</th></tr>
{{range $i, $b := .Bins}}<tr><td>{{$b}}</td><td>{{pct (index $.ScorePSI.Expected $i)}}</td><td>{{pct (index $.ScorePSI.Actual $i)}}</td></tr>{{end}}
</table>{{end}}
{{if .FeaturePSI}}<h3>Feature stability (CSI)</h3>
<table><tr><th>feature</th><th>PSI</th><th>band</th></tr>
{{range .FeaturePSI}}<tr><td>{{.Feature}}</td><td>{{f 4 .PSI}}</td><td>{{.Band}}</td></tr>{{end}}</table>{{end}}</section>{{end}}

{{with .Migration}}<section id="migration"><h2>Grade migration</h2>
<p>{{count .Moves}} moves between {{.Basis}}.</p>
{{migration .Grades .Matrix}}
<p class="muted">Rows: the earlier grade; columns: the later one. Shading: share of the row (blue: unchanged, green: to a lower-risk grade, red: to a higher-risk grade).</p></section>{{end}}

{{if or .IV .Importance}}<section id="features"><h2>Features</h2><div class="charts">
{{if .IV}}<figure>{{bars .IV 25 "information value"}}<figcaption>Information value on the training part (top 25)</figcaption></figure>{{end}}
{{if .Importance}}<figure>{{bars .Importance 25 "importance (model's own measure)"}}<figcaption>Importance of the champion (top 25)</figcaption></figure>{{end}}
</div></section>{{end}}

{{if .Scorecard}}<section id="scorecard"><h2>Scorecard</h2>
<table><tr><th>feature</th><th style="text-align:left">bin</th><th>count</th><th>share</th><th>default rate</th><th>WoE</th><th>IV</th><th>points</th></tr>
{{range .Scorecard}}<tr><td>{{.Feature}}</td><td class="text">{{.Bin}}</td><td>{{count .Count}}</td><td>{{pct .Share}}</td><td>{{if .Count}}{{pct .EventRate}}{{else}}no rows{{end}}</td><td>{{f 3 .WoE}}</td><td>{{f 4 .IV}}</td><td>{{f 0 .Points}}</td></tr>{{end}}
</table></section>{{end}}

<section id="model-card"><h2>Model card</h2>
<table>
<tr><td>version</td><td class="text">{{or .Model.Version "–"}}</td></tr>
<tr><td>family</td><td class="text">{{.Model.Family}}</td></tr>
<tr><td>purpose</td><td class="text">{{.Model.Purpose}}</td></tr>
<tr><td>book</td><td class="text">{{.Model.Book}}</td></tr>
<tr><td>data window</td><td class="text">{{.Model.DataWindow}}</td></tr>
<tr><td>split</td><td class="text">{{or .Model.Split "–"}}</td></tr>
<tr><td>horizon</td><td class="text">{{.Model.Horizon}}</td></tr>
<tr><td>observations</td><td class="text">{{.Model.Observations}}</td></tr>
<tr><td>feature set</td><td class="text">{{.Model.FeatureSet}} ({{len .Model.Features}} features)</td></tr>
<tr><td>data fingerprint</td><td class="text"><code>{{.Model.DataFingerprint}}</code></td></tr>
{{if .Model.HyperParameters}}<tr><td>hyperparameters</td><td class="text">{{params .Model.HyperParameters}}</td></tr>{{end}}
</table>
<h3>Limitations</h3><ul>{{range .Model.Limitations}}<li>{{.}}</li>{{end}}</ul></section>
{{if .Notes}}<section id="notes"><h3>Notes</h3><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul></section>{{end}}
</body></html>
`
