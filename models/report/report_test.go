package report

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/grade"
	"github.com/credence-risk/credence/models/report/reporttest"
)

func sampleReport() *Report {
	return &Report{
		Kind: "training", Title: "Credence model v0001", Created: "2026-01-01T00:00:00Z", Credence: "test",
		Light: "yellow", LightReasons: []string{"grade 7: observed default rate above PD (yellow)"},
		Headline: []Metric{{Name: "AUC", Value: 0.81, Note: "test, out of time"}, {Name: "Gini", Value: Num(math.NaN())},
			{Name: "Hosmer–Lemeshow p", Value: 1e-9, Unit: UnitP}},
		LightRule:  "the champion's calibration light",
		Candidates: []Candidate{{Family: "gbdt", AUC: 0.81, AUCLow: 0.79, AUCHigh: 0.83, Champion: true, Calibration: "green"}, {Family: "logistic", AUC: 0.75, Calibration: "red"}},
		ROC:        []Curve{{Name: "gbdt", X: Nums([]float64{0, 0.2, 1}), Y: Nums([]float64{0, 0.6, 1})}},
		KS:         []Curve{{Name: "defaults", X: Nums([]float64{0, 0.5, 1}), Y: Nums([]float64{0, 0.8, 1})}, {Name: "non-defaults", X: Nums([]float64{0, 0.5, 1}), Y: Nums([]float64{0, 0.4, 1})}},
		Calibration: []GradeRow{{Grade: 1, N: 100, Defaults: 0, ObservedDR: 0, PD: 0.001, Low: 0, High: 0.02, Light: "green"},
			{Grade: 2, N: 50, Defaults: 5, ObservedDR: 0.1, PD: 0.05, Low: 0.04, High: 0.2, Light: "yellow"}},
		Scores:     &Histogram{Edges: Nums([]float64{0, 0.5, 1}), Goods: Nums([]float64{0.7, 0.3}), Bads: Nums([]float64{0.2, 0.8}), Label: "PD"},
		ScorePSI:   &PSITable{PSI: 0.05, Band: "stable", Bins: []string{"≤ 0.1", "> 0.1"}, Expected: Nums([]float64{0.5, 0.5}), Actual: Nums([]float64{0.45, 0.55})},
		FeaturePSI: []Stability{{"inv_dso", 0.3, "shifted"}},
		IV:         []Ranked{{"st_dpd", 0.6}, {"inv_dso", 0.1}},
		Importance: []Ranked{{"st_dpd", 120}},
		Scorecard:  []BinRow{{Feature: "st_dpd", Bin: "[0, 30)", Count: 10, Share: 0.5, EventRate: 0.1, WoE: 0.4, IV: 0.02, Points: 31}},
		Model: ModelCard{Version: "v0001", Family: "gbdt", Split: "out-of-time", Purpose: "PD", Book: "book", DataWindow: "2020–2024",
			Horizon: "12m", Observations: "3", FeatureSet: "fs1", DataFingerprint: "sha256:00", Features: []string{"st_dpd"},
			HyperParameters: json.RawMessage(`{"trees":300,"tree":{"depth":4,"min_leaf":20},"monotone":{"st_dpd":1}}`), Limitations: []string{"synthetic <data>"}},
		MasterScale: MasterScale(grade.DefaultScale(), []float64{0, 1, 0}, []float64{0.0002, 0.03, 0.2}, nil),
		ByAsOf:      ByAsOf([]datasets.Date{20000, 20000, 20031}, []float64{0, 1, 0}, []float64{0.0002, 0.03, 0.2}, nil),
		Migration:   MigrationByCustomer([]string{"a", "b", "a", "b"}, []datasets.Date{20000, 20000, 20031, 20031}, []int{3, 5, 4, 5}),
	}
}

func TestReportHTMLIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{`<svg class="chart line"`, `<svg class="chart calibration"`, `<svg class="chart histogram"`, `<svg class="chart bars"`,
		"Champion and challengers", "Calibration by grade", "Model card", "synthetic &lt;data&gt;", `class="light yellow"`} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, banned := range []string{"http://", "https://", "<script", "<link"} {
		if strings.Contains(strings.ReplaceAll(html, `xmlns="http://www.w3.org/2000/svg"`, ""), banned) {
			t.Errorf("report is not self-contained: it holds %q", banned)
		}
	}
}

func TestReportJSONWritesNaNAsNull(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"value": null`) || !math.IsNaN(float64(back.Headline[1].Value)) || back.Headline[0].Value != 0.81 {
		t.Errorf("headline read back as %+v", back.Headline)
	}
}

// TestReportRendersInChromium loads the report in headless Chromium and
// checks the rendered page holds every section and chart and no empty
// value cell.
func TestReportRendersInChromium(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	dom := reporttest.Render(t, "training", b.Bytes())
	reporttest.Check(t, dom, "overall", "headline", "candidates", "discrimination", "by-as-of", "master-scale",
		"calibration", "stability", "migration", "features", "scorecard", "model-card")
	if n := strings.Count(dom, "<svg class=\"chart"); n < 6 {
		t.Errorf("rendered DOM holds %d charts; want 6 (ROC, KS, scores, calibration, IV, importance)", n)
	}
	for _, want := range []string{"polyline", "< 0.0001", "How the overall light is set", `class="params"`, "no defaults: 0%"} {
		if !strings.Contains(dom, want) && !strings.Contains(dom, strings.ReplaceAll(want, "<", "&lt;")) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{0, 0.35, 4, []float64{0, 0.1, 0.2, 0.3, 0.4}},
		{455, 596, 5, []float64{450, 500, 550, 600}},
		{0, 0.0123, 4, []float64{0, 0.005, 0.01, 0.015}},
	} {
		got, _, _ := niceTicks(tc.lo, tc.hi, tc.n)
		if !slices.Equal(got, tc.want) {
			t.Errorf("niceTicks(%g, %g, %d) = %v; want %v", tc.lo, tc.hi, tc.n, got, tc.want)
		}
	}
	if got := percentFormat(0.005)(0.015); got != "1.5%" {
		t.Errorf("percent tick 0.015 at step 0.005 = %q; want 1.5%%", got)
	}
}

func TestBinLabel(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		feature, kind       string
		lower, upper, value float64
		bins                int
		want                string
	}{
		{"cust_industry=retail", "range", -inf, 1, 0, 2, "no"},
		{"cust_industry=retail", "range", 1, inf, 0, 2, "yes"},
		{"util", "range", 0.7142857142857143, 0.8571428571428571, 0, 5, "[0.7143, 0.8571)"},
		{"util", "range", -inf, 0.5, 0, 5, "< 0.5"},
		{"inv_amount", "range", 123456.789, inf, 0, 5, "≥ 123457"},
		{"util", "special", 0, 0, -1, 5, "special value -1"},
		{"util", "missing", 0, 0, 0, 5, "missing"},
	} {
		if got := BinLabel(tc.feature, tc.kind, tc.lower, tc.upper, tc.value, tc.bins); got != tc.want {
			t.Errorf("BinLabel(%s %s [%g, %g)) = %q; want %q", tc.feature, tc.kind, tc.lower, tc.upper, got, tc.want)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{FormatP(0), "< 0.0001"}, {FormatP(0.00004), "< 0.0001"}, {FormatP(0.0123), "0.0123"}, {FormatP(math.NaN()), "–"},
		{FormatPercent(0.00002), "0.0020%"}, {FormatPercent(0.1234), "12.34%"},
		{FormatAmount(-1234567.4), "-1,234,567"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q; want %q", tc.got, tc.want)
		}
	}
}
