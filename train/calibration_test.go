package train

import (
	"context"
	"testing"

	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/scoring"
)

// The default calibration keeps the model's ranking: on a 5,000-customer
// book the champion gives performing customers at least 100 distinct PDs
// (a step calibration gave 13), and the report explains empty grades.
func TestCalibrationKeepsRanking(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three families")
	}
	b := synthBook(t, 5000)
	cfg := DefaultConfig()
	cfg.TuneBudget = "0" // tuning has tests of its own
	cfg.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
	res, err := Run(context.Background(), b, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scoring.New(res.Artifact, b.Schema)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := b.ReadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	asOf := b.Meta.ObservedUntil + 1
	distinct := map[float64]bool{}
	performing := 0
	for _, h := range hs {
		r, err := sc.Score(h, asOf, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !r.InDefault {
			performing++
			distinct[r.PD] = true
		}
	}
	t.Logf("%s champion: %d distinct PDs among %d performing customers", res.Champion.Family, len(distinct), performing)
	if len(distinct) < 100 {
		t.Errorf("%d distinct PDs among %d performing customers; want at least 100", len(distinct), performing)
	}
	// Every grade is either in the calibration table or explained.
	seen := map[int]bool{}
	for _, g := range res.Report.Calibration {
		seen[g.Grade] = true
	}
	missing := 0
	for g := 1; g <= 9; g++ {
		if !seen[g] {
			missing++
		}
	}
	if missing != len(res.Report.CalibrationNotes) {
		t.Errorf("%d grades missing from the calibration table, %d explained: %q", missing, len(res.Report.CalibrationNotes), res.Report.CalibrationNotes)
	}
}
