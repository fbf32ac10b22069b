package gbdt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/eval"
)

var (
	_ models.Model   = (*Model)(nil)
	_ models.Trainer = Trainer{}
)

// synthetic draws n rows of p uniform(−1, 1) features, lets fill change
// a row (to plant NaNs, say), labels each row from the true PD that pd
// gives and returns the rows with their true PDs.
func synthetic(n, p int, seed uint64, fill func(rng *rand.Rand, x []float64), pd func(x []float64) float64) (*models.Dataset, []float64) {
	names := make([]string, p)
	for j := range names {
		names[j] = fmt.Sprintf("x%d", j)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	d := &models.Dataset{X: models.NewMatrix(n, names), Y: make([]float64, n)}
	truth := make([]float64, n)
	for i := range n {
		x := d.X.Row(i)
		for j := range x {
			x[j] = 2*rng.Float64() - 1
		}
		if fill != nil {
			fill(rng, x)
		}
		truth[i] = pd(x)
		if rng.Float64() < truth[i] {
			d.Y[i] = 1
		}
	}
	return d, truth
}

func fit(t testing.TB, cfg Config, train, valid *models.Dataset) *Model {
	t.Helper()
	m, err := Trainer{Config: cfg}.Fit(context.Background(), train, valid)
	if err != nil {
		t.Fatal(err)
	}
	return m.(*Model)
}

func pds(m models.Model, X *models.Matrix) []float64 {
	out := make([]float64, X.Rows)
	m.PDs(X, out)
	return out
}

// TestLearns fits signals a linear score cannot rank and compares the
// held-out AUC with the AUC of the true PDs on the same rows, the best
// any model can do there.
func TestLearns(t *testing.T) {
	tests := []struct {
		name string
		fill func(*rand.Rand, []float64)
		pd   func(x []float64) float64
	}{
		{"xor", nil, func(x []float64) float64 {
			if x[0]*x[1] > 0 {
				return 0.8
			}
			return 0.2
		}},
		{"monotone signal plus noise", nil, func(x []float64) float64 {
			return models.Sigmoid(-1 + 3*x[0])
		}},
		{"missingness predicts default", func(rng *rand.Rand, x []float64) {
			if rng.Float64() < 0.3 {
				x[0] = math.NaN()
			}
		}, func(x []float64) float64 {
			switch {
			case math.IsNaN(x[0]):
				return 0.6
			case x[0] > 0.5:
				return 0.3
			}
			return 0.1
		}},
	}
	for k, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			train, _ := synthetic(4000, 5, uint64(10+k), tt.fill, tt.pd)
			test, truth := synthetic(4000, 5, uint64(20+k), tt.fill, tt.pd)
			cfg := DefaultConfig()
			cfg.Trees, cfg.LearningRate, cfg.MaxDepth = 100, 0.1, 3
			m := fit(t, cfg, train, nil)
			got, best := eval.AUC(test.Y, pds(m, test.X), nil), eval.AUC(test.Y, truth, nil)
			t.Logf("held-out AUC %.4f; true PD's %.4f", got, best)
			// 4,000 training rows pin down these few-level signals well:
			// a model that found the structure ranks within 0.03 of the
			// truth, one that missed it (a linear score on xor, NaN
			// treated as a value) is far below.
			if got < best-0.03 {
				t.Errorf("AUC %.4f; want at least %.4f (the true PD's %.4f − 0.03)", got, best-0.03, best)
			}
		})
	}
}

// TestMonotone sweeps constrained features over a grid on many rows and
// checks that the PD moves only the required way, on a signal that
// bends the other way in part of the range.
func TestMonotone(t *testing.T) {
	pd := func(x []float64) float64 {
		// Rising in x0 but for a dip, falling in x1 but for a bump; a
		// missing x0 is risky.
		x0 := x[0]
		if math.IsNaN(x0) {
			x0 = 0.7
		}
		return models.Sigmoid(-1 + 2*x0 - 1.5*math.Exp(-40*x0*x0) - 2*x[1] + 1.5*math.Exp(-40*x[1]*x[1]) + x[2]*x[3])
	}
	nan := func(rng *rand.Rand, x []float64) {
		if rng.Float64() < 0.1 {
			x[0] = math.NaN()
		}
	}
	train, _ := synthetic(6000, 4, 3, nan, pd)
	rows, _ := synthetic(200, 4, 4, nan, pd)
	grid := []float64{-5}
	for v := -1.0; v <= 1; v += 0.02 {
		grid = append(grid, v)
	}
	grid = append(grid, 5)

	// violations counts the grid steps where the PD moves against dir.
	violations := func(m *Model, j int, dir float64) int {
		bad := 0
		x := make([]float64, 4)
		for i := range rows.X.Rows {
			copy(x, rows.X.Row(i))
			prev := math.NaN()
			for _, v := range grid {
				x[j] = v
				p := m.PD(x)
				if (p-prev)*dir < 0 {
					bad++
				}
				prev = p
			}
		}
		return bad
	}
	cfg := DefaultConfig()
	cfg.Trees, cfg.LearningRate, cfg.MaxDepth, cfg.Subsample, cfg.ColSample = 150, 0.1, 4, 0.8, 0.8

	free := fit(t, cfg, train, nil)
	if v0, v1 := violations(free, 0, 1), violations(free, 1, -1); v0 == 0 || v1 == 0 {
		t.Fatalf("unconstrained model: %d and %d violations; want some, or the test cannot fail", v0, v1)
	}
	cfg.Monotone = map[string]int{"x0": 1, "x1": -1}
	m := fit(t, cfg, train, nil)
	if v := violations(m, 0, 1); v != 0 {
		t.Errorf("PD falls %d times as x0 rises; want 0", v)
	}
	if v := violations(m, 1, -1); v != 0 {
		t.Errorf("PD rises %d times as x1 rises; want 0", v)
	}
	test, truth := synthetic(3000, 4, 5, nan, pd)
	if got, best := eval.AUC(test.Y, pds(m, test.X), nil), eval.AUC(test.Y, truth, nil); got < best-0.05 {
		t.Errorf("constrained AUC %.4f; want at least %.4f", got, best-0.05)
	}
}

// TestDeterministic checks that the model depends on the seed but not on
// the number of workers.
func TestDeterministic(t *testing.T) {
	train := benchData(6000, 12, 8)
	cases := []struct {
		name string
		cfg  func(*Config)
	}{
		{"sampled", func(c *Config) {
			c.Subsample, c.ColSample = 0.7, 0.6
			c.Monotone = map[string]int{"fAa": 1}
		}},
		{"leaf-wise, wide bins", func(c *Config) { c.MaxLeaves, c.MaxDepth, c.MaxBins = 12, 0, 700 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var first []byte
			for _, workers := range []int{1, 2, 3} {
				cfg := DefaultConfig()
				cfg.Trees, cfg.Seed, cfg.Workers = 30, 5, workers
				tc.cfg(&cfg)
				b, err := json.Marshal(fit(t, cfg, train, nil))
				if err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = b
				} else if !bytes.Equal(b, first) {
					t.Errorf("workers %d: model JSON differs from workers 1's", workers)
				}
			}
		})
	}
}

// A bag of three is the mean of the margins of the three ensembles fitted
// with seeds Seed, Seed+1 and Seed+2, and its SHAP contributions still
// add up to its margin.
func TestBag(t *testing.T) {
	train := benchData(3000, 10, 21)
	test := benchData(200, 10, 22)
	cfg := DefaultConfig()
	cfg.Trees, cfg.Subsample, cfg.ColSample, cfg.Seed = 25, 0.7, 0.8, 9
	var members []*Model
	for k := range 3 {
		c := cfg
		c.Seed += uint64(k)
		members = append(members, fit(t, c, train, nil))
	}
	cfg.Bag = 3
	bag := fit(t, cfg, train, nil)
	if len(bag.trees) != 75 {
		t.Fatalf("a bag of three ensembles of 25 has %d trees", len(bag.trees))
	}
	dst := make([]float64, 11)
	for i := range test.X.Rows {
		x := test.X.Row(i)
		var mean float64
		for _, m := range members {
			mean += m.Margin(x) / 3
		}
		if z := bag.Margin(x); math.Abs(z-mean) > 1e-12 {
			t.Fatalf("row %d: the bag's margin %.15g; the members' mean %.15g", i, z, mean)
		}
		dst = bag.Contributions(x, dst)
		var sum float64
		for _, v := range dst {
			sum += v
		}
		if z := bag.Margin(x); math.Abs(sum-z) > 1e-9 {
			t.Fatalf("row %d: contributions sum to %.15g; margin %.15g", i, sum, z)
		}
	}
	cfg.Bag = -1
	if _, err := (Trainer{Config: cfg}).Fit(context.Background(), train, nil); err == nil {
		t.Error("a bag of -1 was fitted")
	}
}

// TestEarlyStopping checks that training stops EarlyStoppingRounds after
// the best validation round and keeps the trees up to it.
func TestEarlyStopping(t *testing.T) {
	pd := func(x []float64) float64 { return models.Sigmoid(x[0]) }
	train, _ := synthetic(1500, 6, 30, nil, pd)
	valid, _ := synthetic(1500, 6, 31, nil, pd)
	cfg := DefaultConfig()
	cfg.Trees, cfg.LearningRate, cfg.MaxDepth = 300, 0.3, 6 // deep and fast: overfits soon
	full := fit(t, cfg, train, nil)
	cfg.EarlyStoppingRounds = 10
	m := fit(t, cfg, train, valid)
	kept := m.Trees()
	if kept >= full.Trees() {
		t.Fatalf("kept %d trees; want fewer than %d", kept, full.Trees())
	}
	// Training is the same up to the stop, so the kept trees are the
	// full model's first ones.
	for k := range kept {
		if !slices.Equal(m.trees[k].nodes, full.trees[k].nodes) {
			t.Fatalf("tree %d differs from the unstopped model's", k)
		}
	}
	// The validation loss after each round, as training computes it.
	z := make([]float64, valid.X.Rows)
	for i := range z {
		z[i] = full.base
	}
	losses := make([]float64, kept+cfg.EarlyStoppingRounds)
	for k := range losses {
		for i := range z {
			z[i] += full.trees[k].leaf(valid.X.Row(i))
		}
		losses[k] = logLoss(z, valid.Y, nil, 1)
	}
	best := kept - 1
	for k, l := range losses {
		if k < best && l <= losses[best] || k > best && l < losses[best] {
			t.Errorf("round %d: validation loss %.6f; best round %d's %.6f should be the least of the first %d",
				k+1, l, best+1, losses[best], len(losses))
		}
	}
	if _, err := (Trainer{Config: cfg}).Fit(context.Background(), train, nil); err == nil {
		t.Error("early stopping without validation data: no error")
	}
}

func TestMaxLeaves(t *testing.T) {
	train := benchData(5000, 10, 9)
	cfg := DefaultConfig()
	cfg.Trees, cfg.MaxDepth, cfg.MaxLeaves = 20, 0, 7
	m := fit(t, cfg, train, nil)
	deeper := false
	for k, tr := range m.trees {
		leaves := 0
		for _, n := range tr.nodes {
			if n.feature < 0 {
				leaves++
			}
		}
		if leaves > 7 {
			t.Errorf("tree %d: %d leaves; want at most 7", k, leaves)
		}
		deeper = deeper || tr.depth > 3
	}
	if !deeper {
		t.Error("no tree deeper than 3: leaf-wise growth should go deep where the gain is")
	}
}

// TestWeights checks that a row of weight 2 counts as the row twice.
func TestWeights(t *testing.T) {
	base, _ := synthetic(1000, 4, 40, nil, func(x []float64) float64 { return models.Sigmoid(2*x[0] - x[1]*x[2]) })
	weighted := &models.Dataset{X: base.X, Y: base.Y, W: make([]float64, base.X.Rows)}
	var twice []int
	for i := range base.X.Rows {
		twice = append(twice, i)
		weighted.W[i] = 1
		if i%3 == 0 {
			twice = append(twice, i)
			weighted.W[i] = 2
		}
	}
	cfg := DefaultConfig()
	cfg.Trees = 50
	a, b := fit(t, cfg, weighted, nil), fit(t, cfg, base.Subset(twice), nil)
	pa, pb := pds(a, base.X), pds(b, base.X)
	for i := range pa {
		// Sums of the same gradients in another order differ in the
		// last bits, no more.
		if math.Abs(pa[i]-pb[i]) > 1e-9 {
			t.Fatalf("row %d: PD %v with weight, %v with the row repeated", i, pa[i], pb[i])
		}
	}
}

func TestReasonsAndImportance(t *testing.T) {
	train, _ := synthetic(3000, 5, 50, nil, func(x []float64) float64 { return models.Sigmoid(-1 + 3*x[2] + x[4]) })
	cfg := DefaultConfig()
	cfg.Trees = 60
	m := fit(t, cfg, train, nil)
	imp := m.Importance()
	if len(imp) != 5 {
		t.Fatalf("importance of %d features; want 5", len(imp))
	}
	for _, name := range []string{"x0", "x1", "x3", "x4"} {
		if imp[name] >= imp["x2"] {
			t.Errorf("importance of %s %.3g; want below x2's %.3g, the strongest signal", name, imp[name], imp["x2"])
		}
	}
	x := []float64{0, 0, 0.9, 0, 0.8}
	phi := m.Contributions(x, nil)
	for _, n := range []int{0, 1, 2, 5} {
		rs := m.Reasons(x, n)
		if len(rs) > n {
			t.Errorf("Reasons(x, %d): %d reasons", n, len(rs))
		}
		for k, r := range rs {
			j := slices.Index(m.Features(), r.Feature)
			if r.Effect <= 0 || r.Effect != phi[j] || r.Value != x[j] {
				t.Errorf("reason %d: %+v; want feature %s's value %v and contribution %v > 0", k, r, r.Feature, x[j], phi[j])
			}
			if k > 0 && r.Effect > rs[k-1].Effect {
				t.Errorf("reason %d: effect %v after %v; want largest first", k, r.Effect, rs[k-1].Effect)
			}
		}
	}
	if rs := m.Reasons(x, 2); len(rs) != 2 || rs[0].Feature != "x2" || rs[1].Feature != "x4" {
		t.Errorf("Reasons(x, 2) = %+v; want x2 then x4", rs)
	}
}

func TestConfigErrors(t *testing.T) {
	train, _ := synthetic(200, 3, 60, nil, func(x []float64) float64 { return models.Sigmoid(x[0]) })
	tests := []struct {
		name string
		cfg  func(*Config)
		want string
	}{
		{"negative trees", func(c *Config) { c.Trees = -1 }, "trees"},
		{"negative learning rate", func(c *Config) { c.LearningRate = -0.1 }, "learning rate"},
		{"one leaf", func(c *Config) { c.MaxLeaves = 1 }, "max leaves"},
		{"too deep", func(c *Config) { c.MaxDepth = maxTreeDepth + 1 }, "max depth"},
		{"subsample above 1", func(c *Config) { c.Subsample = 1.5 }, "subsample"},
		{"col sample NaN", func(c *Config) { c.ColSample = math.NaN() }, "col sample"},
		{"one bin", func(c *Config) { c.MaxBins = 1 }, "max bins"},
		{"negative L2", func(c *Config) { c.L2 = -1 }, "L2"},
		{"base score 1", func(c *Config) { c.BaseScore = 1 }, "base score"},
		{"monotone on unknown feature", func(c *Config) { c.Monotone = map[string]int{"nope": 1} }, `"nope"`},
		{"monotone 2", func(c *Config) { c.Monotone = map[string]int{"x1": 2} }, "monotone constraint 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.cfg(&cfg)
			_, err := Trainer{Config: cfg}.Fit(context.Background(), train, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v; want one about %s", err, tt.want)
			}
		})
	}
}

func TestFitErrors(t *testing.T) {
	good, _ := synthetic(100, 3, 61, nil, func(x []float64) float64 { return 0.3 })
	oneClass := &models.Dataset{X: good.X, Y: make([]float64, good.X.Rows)}
	dup := &models.Dataset{X: &models.Matrix{Rows: good.X.Rows, Cols: 3, Data: good.X.Data, Names: []string{"a", "b", "a"}}, Y: good.Y}
	otherNames := &models.Dataset{X: &models.Matrix{Rows: good.X.Rows, Cols: 3, Data: good.X.Data, Names: []string{"a", "b", "c"}}, Y: good.Y}
	zeroWeight := &models.Dataset{X: good.X, Y: good.Y, W: make([]float64, good.X.Rows)}
	tests := []struct {
		name         string
		train, valid *models.Dataset
		want         string
	}{
		{"no data", nil, nil, "no training data"},
		{"one class", oneClass, nil, "every label"},
		{"duplicate names", dup, nil, `"a" twice`},
		{"validation features differ", good, otherNames, "validation data"},
		{"no weight", zeroWeight, nil, "weight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Trainer{Config: DefaultConfig()}.Fit(context.Background(), tt.train, tt.valid)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v; want one about %s", err, tt.want)
			}
		})
	}
}

func TestFitCancelled(t *testing.T) {
	train := benchData(2000, 10, 62)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Trainer{Config: DefaultConfig()}).Fit(ctx, train, nil); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("got error %v; want context canceled", err)
	}
}

// TestPDsMatchesPD checks that the batch path, with its blocks and rows
// walked side by side, gives every row the exact PD of the one-row path.
func TestPDsMatchesPD(t *testing.T) {
	d := benchData(3000, 20, 63)
	cfg := DefaultConfig()
	cfg.Trees, cfg.MaxLeaves, cfg.MaxDepth = 37, 20, 0 // uneven depths and a tree count not a multiple of 8
	m := fit(t, cfg, d, nil)
	test := benchData(2999, 20, 64)
	got := pds(m, test.X)
	for i, p := range got {
		if want := m.PD(test.X.Row(i)); p != want {
			t.Fatalf("row %d: PDs gives %v, PD %v", i, p, want)
		}
	}
}

func Example() {
	train, _ := synthetic(2000, 3, 1, nil, func(x []float64) float64 { return models.Sigmoid(-1 + 2*x[0]) })
	cfg := DefaultConfig()
	cfg.Trees = 100
	cfg.Monotone = map[string]int{"x0": 1}
	m, err := Trainer{Config: cfg}.Fit(context.Background(), train, nil)
	if err != nil {
		panic(err)
	}
	low, high := m.PD([]float64{-0.8, 0, 0}), m.PD([]float64{0.8, 0, 0})
	fmt.Printf("%s model: PD %.2f at x0 = -0.8, %.2f at x0 = 0.8\n", m.Family(), low, high)
	fmt.Println("top reason at x0 = 0.8:", m.Reasons([]float64{0.8, 0, 0}, 1)[0].Feature)
	// Output:
	// gbdt model: PD 0.15 at x0 = -0.8, 0.66 at x0 = 0.8
	// top reason at x0 = 0.8: x0
}

// TestEdgeCases trains where bins or rows run short: a constant and an
// all-missing feature, two bins, row samples that may draw no row; the
// models must save, load and explain themselves like any other.
func TestEdgeCases(t *testing.T) {
	fill := func(rng *rand.Rand, x []float64) {
		x[1] = 3          // constant
		x[2] = math.NaN() // never known
	}
	pd := func(x []float64) float64 { return models.Sigmoid(2 * x[0]) }
	tests := []struct {
		name string
		rows int
		cfg  func(*Config)
	}{
		{"two bins", 500, func(c *Config) { c.MaxBins = 2 }},
		{"rows sampled away", 12, func(c *Config) { c.Subsample, c.MinChildWeight = 0.05, 0 }},
		{"no regularisation", 300, func(c *Config) { c.L2, c.MinChildWeight, c.MaxDepth = 0, 0, 8 }},
		{"L1 and gamma", 500, func(c *Config) { c.L1, c.MinSplitGain = 2, 1 }},
	}
	for k, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := synthetic(tt.rows, 3, uint64(100+k), fill, pd)
			if !slices.Contains(d.Y, 1) || !slices.Contains(d.Y, 0) {
				d.Y[0], d.Y[1] = 0, 1
			}
			cfg := DefaultConfig()
			cfg.Trees = 30
			tt.cfg(&cfg)
			m := fit(t, cfg, d, nil)
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Decode(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			for i := range d.X.Rows {
				x := d.X.Row(i)
				p := back.PD(x)
				if !(p > 0 && p < 1) || p != m.PD(x) {
					t.Fatalf("row %d: PD %v after the round trip, %v before", i, p, m.PD(x))
				}
				var sum float64
				for _, v := range m.Contributions(x, nil) {
					sum += v
				}
				if z := m.Margin(x); math.Abs(sum-z) > 1e-9 {
					t.Fatalf("row %d: contributions sum to %v; margin %v", i, sum, z)
				}
			}
			if imp := m.Importance(); imp["x1"] != 0 || imp["x2"] != 0 {
				t.Errorf("importance of the constant and the missing feature %v, %v; want 0", imp["x1"], imp["x2"])
			}
		})
	}
}
