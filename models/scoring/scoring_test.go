package scoring_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/synth"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/grade"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/train"
)

// synthBook writes a 24-month synthetic book of n customers.
func synthBook(t *testing.T, n int, seed int64) *datasets.Book {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "book")
	cfg := synth.DefaultConfig()
	cfg.Customers, cfg.Months, cfg.Seed = n, 24, seed
	if _, err := synth.Generate(context.Background(), cfg, dir, "", nil); err != nil {
		t.Fatal(err)
	}
	book, err := datasets.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return book
}

func TestScoreMatchesTrainedModel(t *testing.T) {
	book := synthBook(t, 1500, 5)
	tc := train.DefaultConfig()
	tc.Families = []string{"logistic"}
	tc.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
	res, err := train.Run(context.Background(), book, tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scoring.New(res.Artifact, book.Schema)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := book.ReadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	asOf := datasets.YMD(2024, 6, 1)
	inDefault := 0
	// The batch path of back-tests gives the same PDs bit for bit.
	X := models.NewMatrix(0, s.Set.Names())
	var online []float64
	for _, h := range hs[:300] {
		r, err := s.Score(h, asOf, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.InDefault {
			inDefault++
			if r.Grade != grade.DefaultGrade || r.PD != 1 {
				t.Errorf("%s in default: grade %d, PD %v", h.CustomerID, r.Grade, r.PD)
			}
			continue
		}
		want := res.Artifact.PD(res.Artifact.FeatureSet.Build(h, asOf, nil))
		if r.PD != want || r.Grade != s.Scale.Grade(want) || len(r.Reasons) > 3 {
			t.Errorf("%s: PD %v grade %d; want %v grade %d", h.CustomerID, r.PD, r.Grade, want, s.Scale.Grade(want))
		}
		for i := 1; i < len(r.Reasons); i++ {
			if r.Reasons[i].Effect > r.Reasons[i-1].Effect {
				t.Errorf("%s: reasons not largest first", h.CustomerID)
			}
		}
		X.Data = append(X.Data, r.Features...)
		X.Rows++
		online = append(online, r.PD)
	}
	batch := make([]float64, X.Rows)
	s.PDs(X, batch)
	for i := range online {
		if math.Float64bits(batch[i]) != math.Float64bits(online[i]) {
			t.Fatalf("row %d: batch PD %v; Score gave %v", i, batch[i], online[i])
		}
	}
	// The book has a defaults table, so only recorded defaults put a
	// customer in grade 10, as in training.
	recorded := 0
	for _, h := range hs[:300] {
		if d := h.FirstDefault(); d != datasets.NoDate && d <= asOf {
			recorded++
		}
	}
	if inDefault != recorded || inDefault == 0 {
		t.Errorf("%d customers scored in default; want the %d with a recorded default on or before %s", inDefault, recorded, asOf)
	}
}
