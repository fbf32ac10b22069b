package gbdt

import (
	"bytes"
	"encoding/json"
	"maps"
	"testing"

	"github.com/credence-risk/credence/models"
)

// Tuning varies the trees and the regularisation and keeps what it does
// not tune, monotone constraints first of all, as configured; the
// configured configuration comes first and no candidate comes twice.
func TestTuneCandidatesKeepConstraints(t *testing.T) {
	base := TrainingConfig()
	base.Monotone = map[string]int{"dpd_max_12m": 1, "net_worth": -1}
	base.MaxBins = 64
	raw, _ := json.Marshal(base)
	cands, err := Family.Tuning.Candidates(raw, Family.Tuning.Space, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != Family.Tuning.Space || !bytes.Equal(cands[0], raw) {
		t.Fatalf("%d candidates, the first %s; want %d, the first the configuration", len(cands), cands[0], Family.Tuning.Space)
	}
	again, _ := Family.Tuning.Candidates(raw, Family.Tuning.Space, 7)
	seen := map[string]bool{}
	for i, b := range cands {
		if seen[string(b)] {
			t.Errorf("candidate %d twice: %s", i, b)
		}
		seen[string(b)] = true
		if !bytes.Equal(b, again[i]) {
			t.Errorf("candidate %d differs for the same seed", i)
		}
		c, err := decodeConfig(b)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(c.Monotone, base.Monotone) || c.MaxBins != 64 || c.Trees != base.Trees || c.EarlyStoppingRounds != base.EarlyStoppingRounds {
			t.Errorf("candidate %d changes what tuning leaves alone: %s", i, b)
		}
		if _, err := c.resolve([]string{"dpd_max_12m", "net_worth"}); err != nil {
			t.Errorf("candidate %d: %v", i, err)
		}
		if cost := fitCost(b, 10000, 1000, 50); !(cost > 0) {
			t.Errorf("candidate %d: cost %v; want > 0", i, cost)
		}
	}
}

// The refit on all rows keeps the mean number of trees the folds' early
// stopping found (the study in study_test.go found no gain in scaling it
// by rows across books), turns early stopping off, and keeps every other
// setting, the sampling included.
func TestRefitKeepsTheFoldsTrees(t *testing.T) {
	raw, _ := json.Marshal(TrainingConfig())
	fitted := []models.Model{&Model{trees: make([]*tree, 40)}, &Model{trees: make([]*tree, 61)}, &Model{trees: make([]*tree, 50)}}
	out, err := Family.Refit(raw, fitted, 1000)
	if err != nil {
		t.Fatal(err)
	}
	c, err := decodeConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	want := TrainingConfig()
	want.Trees, want.EarlyStoppingRounds = 50, 0 // (40+61+50)/3 = 50.3
	if c.Trees != want.Trees || c.EarlyStoppingRounds != 0 || c.Subsample != 0.8 || c.ColSample != 0.8 || c.LearningRate != want.LearningRate || c.Bag != refitBag {
		t.Errorf("refit config %+v; want %+v with bag %d", c, want, refitBag)
	}
	// Folds fitted as bags of two count their trees per ensemble; a bag
	// the configuration sets is kept.
	bagged := TrainingConfig()
	bagged.Bag = 2
	raw, _ = json.Marshal(bagged)
	fitted = []models.Model{&Model{trees: make([]*tree, 80), config: bagged}, &Model{trees: make([]*tree, 120), config: bagged}}
	if out, err = Family.Refit(raw, fitted, 1_000_000); err != nil {
		t.Fatal(err)
	}
	if c, err = decodeConfig(out); err != nil || c.Trees != 50 || c.Bag != 2 {
		t.Errorf("refit of bags of two: %+v, %v; want 50 trees, bag 2", c, err)
	}
	// A large book is refit as one ensemble.
	raw, _ = json.Marshal(TrainingConfig())
	if out, err = Family.Refit(raw, fitted, bagMaxRows); err != nil {
		t.Fatal(err)
	}
	if c, err = decodeConfig(out); err != nil || c.Bag != 1 {
		t.Errorf("refit on %d rows: %+v, %v; want one ensemble", bagMaxRows, c, err)
	}
	if _, err := Family.Refit(raw, nil, 1000); err == nil {
		t.Error("refit with no fitted model: no error")
	}
}
