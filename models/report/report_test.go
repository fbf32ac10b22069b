package report

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets/testenv"
)

func sampleReport() *Report {
	return &Report{
		Kind: "training", Title: "Credence model v0001", Created: "2026-01-01T00:00:00Z", Credence: "test",
		Light: "yellow", LightReasons: []string{"grade 7: observed default rate above PD (yellow)"},
		Headline:   []Metric{{"AUC", 0.81, "test, out of time"}, {"Gini", Num(math.NaN()), ""}},
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
		Model:      ModelCard{Version: "v0001", Family: "gbdt", Features: []string{"st_dpd"}, HyperParameters: json.RawMessage(`{"trees":300}`), Limitations: []string{"synthetic <data>"}},
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

// TestReportRendersInChromium loads the report in headless Chromium (Debian's
// chromium package) and checks the rendered DOM holds every chart.
func TestReportRendersInChromium(t *testing.T) {
	browser := testenv.Tool(t, "chromium", "apt-get install chromium")
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := sampleReport().WriteHTML(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	shot := filepath.Join(dir, "report.png")
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--virtual-time-budget=2000"}
	cmd := exec.Command(browser, append(args, "--dump-dom", "file://"+page)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("chromium did not finish in 60 s")
	}
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, errOut.String())
	}
	dom := out.String()
	if n := strings.Count(dom, "<svg class=\"chart"); n < 6 {
		t.Errorf("rendered DOM holds %d charts; want 6 (ROC, KS, scores, calibration, IV, importance)", n)
	}
	if !strings.Contains(dom, "polyline") || !strings.Contains(dom, "Calibration by grade") {
		t.Error("rendered DOM lacks the ROC polyline or the calibration section")
	}
	cmd = exec.Command(browser, append(args, "--screenshot="+shot, "--window-size=1200,3000", "file://"+page)...)
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium screenshot: %v", err)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
		t.Errorf("screenshot %s missing or tiny: %v", shot, err)
	}
}
