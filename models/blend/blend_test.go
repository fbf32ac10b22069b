package blend_test

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/blend"
	"github.com/credence-risk/credence/models/gbdt"
	"github.com/credence-risk/credence/models/logistic"
)

var names = []string{"dbt", "overdue_share", "age_years"}

// book is n customers whose default depends on a threshold in dbt (which
// trees find and a line does not) and linearly on the overdue share;
// about one age in ten is missing.
func book(n int, seed uint64) *models.Dataset {
	rng := rand.New(rand.NewPCG(seed, 7))
	d := &models.Dataset{X: models.NewMatrix(n, names), Y: make([]float64, n)}
	for i := range n {
		x := d.X.Row(i)
		x[0], x[1], x[2] = rng.Float64()*90, rng.Float64(), 20+rng.Float64()*40
		if rng.IntN(10) == 0 {
			x[2] = math.NaN()
		}
		z := -2.5 + 2*x[1]
		if x[0] > 60 {
			z += 1.5
		}
		if rng.Float64() < models.Sigmoid(z) {
			d.Y[i] = 1
		}
	}
	return d
}

func members(t *testing.T) (*models.Dataset, []models.Model) {
	t.Helper()
	train := book(3000, 1)
	lr, err := logistic.Trainer{Config: logistic.DefaultConfig()}.Fit(context.Background(), train, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := gbdt.DefaultConfig()
	cfg.Trees, cfg.MaxDepth = 40, 3
	gb, err := gbdt.Trainer{Config: cfg}.Fit(context.Background(), train, nil)
	if err != nil {
		t.Fatal(err)
	}
	return book(400, 2), []models.Model{lr, gb}
}

func TestBlendIsTheWeightedMeanOfLogOdds(t *testing.T) {
	test, ms := members(t)
	b, err := blend.New(ms, []float64{1, 3}) // weights 1/4 and 3/4
	if err != nil {
		t.Fatal(err)
	}
	pds := make([]float64, test.X.Rows)
	b.PDs(test.X, pds)
	for i := range test.X.Rows {
		x := test.X.Row(i)
		want := models.Sigmoid(0.25*models.Logit(ms[0].PD(x)) + 0.75*models.Logit(ms[1].PD(x)))
		if got := b.PD(x); math.Abs(got-want) > 1e-12 || math.Abs(pds[i]-want) > 1e-12 {
			t.Fatalf("row %d: PD %v, PDs %v; want %v", i, got, pds[i], want)
		}
		var sum float64
		for _, e := range b.Contributions(x, nil) {
			sum += e
		}
		if math.Abs(sum-b.LogOdds(x)) > 1e-9 {
			t.Fatalf("row %d: contributions sum to %v; log-odds %v", i, sum, b.LogOdds(x))
		}
	}
}

func TestBlendReasonsAreTheMembersWeightedEffects(t *testing.T) {
	test, ms := members(t)
	b, err := blend.New(ms, nil)
	if err != nil {
		t.Fatal(err)
	}
	block := b.ReasonsBlock(test.X.Data, 2)
	for i := range test.X.Rows {
		x := test.X.Row(i)
		lr := ms[0].(models.Contributor).Contributions(x, nil)
		gb := ms[1].(models.Contributor).Contributions(x, nil)
		want := make([]float64, len(names))
		for j := range want {
			want[j] = (lr[j] + gb[j]) / 2
		}
		one := b.Reasons(x, 2)
		if len(one) != len(block[i]) {
			t.Fatalf("row %d: Reasons %v, ReasonsBlock %v", i, one, block[i])
		}
		for k, r := range one {
			j := indexOf(r.Feature)
			if math.Abs(r.Effect-want[j]) > 1e-12 || math.Abs(block[i][k].Effect-r.Effect) > 1e-12 || block[i][k].Feature != r.Feature {
				t.Fatalf("row %d reason %d: %+v (block %+v); want effect %v", i, k, r, block[i][k], want[j])
			}
			if k > 0 && r.Effect > one[k-1].Effect || r.Effect <= 0 {
				t.Fatalf("row %d: reasons %v not positive and largest first", i, one)
			}
		}
	}
}

func indexOf(feature string) int {
	for j, n := range names {
		if n == feature {
			return j
		}
	}
	return -1
}

func TestBlendRoundTrip(t *testing.T) {
	test, ms := members(t)
	b, err := blend.New(ms, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	decoders := map[string]func([]byte) (models.Model, error){logistic.Name: logistic.Decode, gbdt.Name: gbdt.Decode}
	got, err := blend.Decode(raw, decoders)
	if err != nil {
		t.Fatal(err)
	}
	for i := range test.X.Rows {
		if x := test.X.Row(i); got.PD(x) != b.PD(x) {
			t.Fatalf("row %d: decoded PD %v; saved %v", i, got.PD(x), b.PD(x))
		}
	}
	delete(decoders, gbdt.Name)
	if _, err := blend.Decode(raw, decoders); err == nil || !strings.Contains(err.Error(), `family "gbdt" cannot be blended`) {
		t.Fatalf("decode without the gbdt decoder: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	_, ms := members(t)
	other := book(500, 3)
	other.X.Names = []string{"dbt", "overdue_share", "limit_use"}
	lr, err := logistic.Trainer{Config: logistic.DefaultConfig()}.Fit(context.Background(), other, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		members []models.Model
		weights []float64
		want    string
	}{
		"one member":     {ms[:1], nil, "1 members"},
		"other features": {[]models.Model{ms[0], lr}, nil, "other features"},
		"zero weight":    {ms, []float64{1, 0}, "not positive"},
		"weights count":  {ms, []float64{1}, "1 weights for 2 members"},
	} {
		if _, err := blend.New(tc.members, tc.weights); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v; want one containing %q", name, err, tc.want)
		}
	}
}
