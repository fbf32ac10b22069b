package train

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/blend"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/eval"
)

// The blend's cross-validation is that of the blend of each round's
// member models: its out-of-fold PDs are what those blends predict on the
// round's held-out rows, and its rounds' AUCs are theirs. Its refit is a
// blend of the members' refits, stored and loaded like any model.
func TestBlendSelectionAndRefit(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-validates two families")
	}
	ctx := context.Background()
	s, cfg := tuningSample(t, 2000)
	cfg.TuneBudget = "0"
	var members []*Selection
	for _, fam := range blendFamilies {
		sel, err := crossValidate(ctx, s, fam, cfg, cfg.SelectionFolds)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, sel)
	}
	sel, err := blendSelection(members, s.Y, s.W)
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.AUC) != cfg.SelectionFolds || len(sel.Fitted) != cfg.SelectionFolds {
		t.Fatalf("%d rounds, %d fitted; want %d", len(sel.AUC), len(sel.Fitted), cfg.SelectionFolds)
	}
	for r, m := range sel.Fitted {
		var rows []int
		for i, round := range sel.Round {
			if round == r {
				rows = append(rows, i)
			}
		}
		held := s.Subset(rows)
		pd := make([]float64, len(rows))
		m.PDs(held.X, pd)
		for k, i := range rows {
			if math.Abs(pd[k]-sel.OOF[i]) > 1e-12 {
				t.Fatalf("round %d, row %d: out-of-fold PD %v; the round's blend gives %v", r+1, i, sel.OOF[i], pd[k])
			}
		}
		if got := eval.AUC(held.Y, pd, held.W); math.Abs(got-sel.AUC[r]) > 1e-12 {
			t.Errorf("round %d: AUC %v; the round's blend has %v", r+1, sel.AUC[r], got)
		}
	}
	t.Logf("CV AUC: logistic %.4f, gbdt %.4f, blend %.4f", members[0].MeanAUC, members[1].MeanAUC, sel.MeanAUC)

	m, err := refit(ctx, s, sel, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, ok := m.(*blend.Model)
	if !ok {
		t.Fatalf("refit is a %T; want a blend", m)
	}
	ms, w := b.Members()
	if len(ms) != 2 || ms[0].Family() != "logistic" || ms[1].Family() != "gbdt" || w[0] != 0.5 || w[1] != 0.5 {
		t.Fatalf("refit blends %v with weights %v", ms, w)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := catalog.Decoders()[blend.Name](raw)
	if err != nil {
		t.Fatal(err)
	}
	want, got := make([]float64, s.X.Rows), make([]float64, s.X.Rows)
	m.PDs(s.X, want)
	back.PDs(s.X, got)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d: stored blend gives %v; the refit %v", i, got[i], want[i])
		}
	}
	if _, ok := back.(models.BlockReasoner); !ok {
		t.Error("the stored blend gives no reasons by block")
	}
}

// Folds that differ are refused: a blend's rounds pair its members'.
func TestBlendSelectionNeedsTheSameFolds(t *testing.T) {
	a := &Selection{Family: "logistic", Folds: FoldsByCustomer, Round: []int{0, 1}, Fitted: make([]models.Model, 2)}
	b := &Selection{Family: "gbdt", Folds: FoldsByCustomer, Round: []int{1, 0}, Fitted: make([]models.Model, 2)}
	if _, err := blendSelection([]*Selection{a, b}, []float64{0, 1}, nil); err == nil {
		t.Error("members judged on other rows were blended")
	}
}
