package train

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/synth"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/report"
	"github.com/credence-risk/credence/models/report/reporttest"
)

func TestRunOnSyntheticBook(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three families")
	}
	b := synthBook(t, 8000)
	cfg := DefaultConfig()
	cfg.TuneBudget = "0" // tuning has tests of its own
	cfg.SelectionFolds = 3
	cfg.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
	cfg.Observations.Plan = features.Plan{Start: datasets.YMD(2023, 7, 1), End: datasets.YMD(2023, 12, 1), EveryMonths: 1}
	res, err := Run(context.Background(), b, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Split.Method != "out-of-time" || len(res.Candidates) != 4 || res.Candidates[3].Family != "blend" {
		t.Fatalf("split %s with %d candidates", res.Split.Method, len(res.Candidates))
	}
	for _, c := range res.Candidates {
		t.Logf("%-9s test AUC %.4f [%.4f, %.4f] brier %.4f calibration %s", c.Family, c.Test.AUC, c.Test.AUCLow, c.Test.AUCHigh, c.Test.Brier, c.Light)
		if !(c.Test.AUC > 0.7) {
			t.Errorf("%s: test AUC %.4f; want > 0.7 on the synthetic book", c.Family, c.Test.AUC)
		}
	}
	var html, js bytes.Buffer
	res.Report.Model.Version = "v0001" // as the registry names it
	if err := res.Report.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	if err := res.Report.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Candidates) != 4 || len(back.Calibration) == 0 || back.ScorePSI == nil || len(back.IV) == 0 {
		t.Errorf("report lacks sections: %d candidates, %d grades, psi %v, %d IVs", len(back.Candidates), len(back.Calibration), back.ScorePSI, len(back.IV))
	}
	dom := reporttest.Render(t, "training", html.Bytes())
	reporttest.Check(t, dom, "overall", "headline", "candidates", "discrimination", "by-as-of", "master-scale",
		"calibration", "stability", "migration", "features", "scorecard", "model-card")

	// The validation report of the model on its own book.
	art := *res.Artifact
	art.Version = "v0001"
	v, err := backtest.Validate(context.Background(), b, &art, backtest.ObservationConfig{})
	if err != nil {
		t.Fatal(err)
	}
	html.Reset()
	if err := v.Report.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	dom = reporttest.Render(t, "validation", html.Bytes())
	reporttest.Check(t, dom, "overall", "headline", "discrimination", "by-as-of", "master-scale",
		"calibration", "stability", "migration", "model-card")
	for _, want := range []string{`<figure id="ks">`, `<table id="psi-bins">`, `class="migration"`} {
		if !strings.Contains(dom, want) {
			t.Errorf("validation page lacks %s", want)
		}
	}

	// Same seed and data give the same model bytes.
	again, err := Run(context.Background(), b, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := json.Marshal(res.Artifact.Model)
	m2, _ := json.Marshal(again.Artifact.Model)
	if !bytes.Equal(m1, m2) || res.Artifact.DataFingerprint != again.Artifact.DataFingerprint {
		t.Error("two runs with the same seed and data gave different models")
	}
}

func synthBook(t *testing.T, customers int) *datasets.Book {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "book")
	cfg := synth.DefaultConfig()
	cfg.Customers, cfg.Months, cfg.Seed, cfg.CustomersPerPart = customers, 24, 3, customers/3+1
	if _, err := synth.Generate(context.Background(), cfg, dir, "", nil); err != nil {
		t.Fatal(err)
	}
	b, err := datasets.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
