package gbdt

import (
	"cmp"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/credence-risk/credence/models"
)

// TestContributionsSumToMargin checks TreeSHAP's local accuracy: the
// contributions and the bias add up to the log-odds.
func TestContributionsSumToMargin(t *testing.T) {
	d := benchData(4000, 12, 70)
	cfg := DefaultConfig()
	cfg.Trees, cfg.Subsample, cfg.ColSample = 80, 0.8, 0.7
	m := fit(t, cfg, d, nil)
	test := benchData(300, 12, 71)
	dst := make([]float64, 13)
	for i := range test.X.Rows {
		x := test.X.Row(i)
		dst = m.Contributions(x, dst)
		var sum float64
		for _, v := range dst {
			sum += v
		}
		// Only rounding separates the two: the terms are a few units
		// at most, summed over 80 trees.
		if z := m.Margin(x); math.Abs(sum-z) > 1e-9 {
			t.Fatalf("row %d: contributions sum to %.15g; margin %.15g", i, sum, z)
		}
	}
}

// TestTreeSHAPExact compares TreeSHAP with Shapley values computed from
// their definition over every subset of features, with the value
// function TreeSHAP uses: a feature outside the coalition is integrated
// out by following both branches of its splits, weighted by cover.
func TestTreeSHAPExact(t *testing.T) {
	const p = 5
	pd := func(x []float64) float64 {
		z := x[0]*x[1] - x[2] + 0.5*x[3]
		if math.IsNaN(x[4]) {
			z++
		}
		return models.Sigmoid(z)
	}
	nan := func(rng *rand.Rand, x []float64) {
		if rng.Float64() < 0.2 {
			x[4] = math.NaN()
		}
		if rng.Float64() < 0.1 {
			x[1] = math.NaN()
		}
	}
	train, _ := synthetic(2000, p, 80, nan, pd)
	test, _ := synthetic(40, p, 81, nan, pd)
	// Deep trees on few features split on the same feature twice on a
	// path, the case TreeSHAP must unwind.
	for _, trees := range []int{1, 3} {
		cfg := DefaultConfig()
		cfg.Trees, cfg.MaxDepth, cfg.LearningRate = trees, 6, 0.3
		m := fit(t, cfg, train, nil)
		repeated := false
		for _, tr := range m.trees {
			repeated = repeated || repeatsFeature(tr, 0, 0)
		}
		if !repeated {
			t.Fatalf("%d trees: no path splits twice on a feature; the test would miss the unwinding", trees)
		}
		for i := range test.X.Rows {
			x := test.X.Row(i)
			got := m.Contributions(x, nil)
			want := bruteShapley(m, x)
			for j := range want {
				// Both are sums of a few hundred products of covers and
				// leaf values; they agree to rounding.
				if math.Abs(got[j]-want[j]) > 1e-9 {
					t.Errorf("%d trees, row %d, slot %d: TreeSHAP %.15g; exact %.15g", trees, i, j, got[j], want[j])
				}
			}
		}
	}
}

// repeatsFeature reports whether a path below node i splits on a feature
// already in used (a bit set of features).
func repeatsFeature(t *tree, i int32, used uint64) bool {
	n := t.nodes[i]
	if n.feature < 0 {
		return false
	}
	bit := uint64(1) << n.feature
	if used&bit != 0 {
		return true
	}
	return repeatsFeature(t, n.left, used|bit) || repeatsFeature(t, n.left+1, used|bit)
}

// bruteShapley returns the Shapley value of every feature for x and, in
// the last slot, the value of the empty coalition.
func bruteShapley(m *Model, x []float64) []float64 {
	p := len(m.features)
	value := func(s uint64) float64 {
		v := m.base
		for _, t := range m.trees {
			v += condExpect(t, 0, x, s)
		}
		return v
	}
	fact := func(n int) float64 {
		f := 1.0
		for k := 2; k <= n; k++ {
			f *= float64(k)
		}
		return f
	}
	phi := make([]float64, p+1)
	for j := range p {
		for s := uint64(0); s < 1<<p; s++ {
			if s&(1<<j) != 0 {
				continue
			}
			k := bits.OnesCount64(s)
			w := fact(k) * fact(p-k-1) / fact(p)
			phi[j] += w * (value(s|1<<j) - value(s))
		}
	}
	phi[p] = value(0)
	return phi
}

// condExpect is the expected value of node i's subtree when only the
// features in s are known: their splits follow x, the others average
// their children by cover.
func condExpect(t *tree, i int32, x []float64, s uint64) float64 {
	n := t.nodes[i]
	if n.feature < 0 {
		return n.value
	}
	l, r := n.left, n.left+1
	if s&(1<<n.feature) != 0 {
		v := x[n.feature]
		if v < n.threshold || math.IsNaN(v) && n.defaultLeft {
			return condExpect(t, l, x, s)
		}
		return condExpect(t, r, x, s)
	}
	return (t.cover[l]*condExpect(t, l, x, s) + t.cover[r]*condExpect(t, r, x, s)) / t.cover[i]
}

// classicContributions is Contributions by classic TreeSHAP alone: the
// oracle of the tables.
func classicContributions(m *Model, x []float64) []float64 {
	phi := make([]float64, len(m.features)+1)
	path := make([]pathElement, (m.depth+2)*(m.depth+3)/2)
	for _, t := range m.trees {
		if t.depth > 0 {
			t.pathContributions(x, phi, path)
		}
	}
	phi[len(m.features)] = m.expected
	return phi
}

// TestContributionsMatchClassic holds the tables to classic TreeSHAP on
// models of every depth up to past the tables' bound (where the model
// keeps classic TreeSHAP), with missing values and repeated features.
func TestContributionsMatchClassic(t *testing.T) {
	d := benchData(3000, 20, 90)
	test := benchData(200, 20, 91)
	defer func(b, s int) { tableBudget, spreadBudget = b, s }(tableBudget, spreadBudget)
	for _, c := range []struct {
		depth, budget, spread int
		layouts               string // spread, quads, compact, classic: those that must appear
	}{
		{1, 8 << 20, 2 << 20, "spread"}, {2, 8 << 20, 2 << 20, "spread"}, {4, 8 << 20, 2 << 20, "spread"},
		{6, 8 << 20, 2 << 20, "spread quads"}, {8, 8 << 20, 2 << 20, "spread"}, {0, 8 << 20, 2 << 20, "spread"},
		// Spread takes up to 6,144 values a tree of depth 6, compact 2,048.
		{6, 8 << 20, 20_000, "spread compact"},
		{6, 40_000, 0, "compact classic"},
		{16, 8 << 20, 2 << 20, "spread classic"},
	} {
		tableBudget, spreadBudget = c.budget, c.spread
		depth := c.depth
		cfg := DefaultConfig()
		cfg.Trees, cfg.MaxDepth, cfg.LearningRate, cfg.MinChildWeight = 30, depth, 0.3, 0.01
		cfg.Subsample, cfg.ColSample = 0.8, 0.8
		m := fit(t, cfg, d, nil)
		layouts := map[string]int{}
		for k, tr := range m.trees {
			if tr.shap != nil {
				// The budget counts what the tables hold.
				compact, spread, _ := tr.shapTableSize()
				if want := map[bool]int{false: compact, true: spread}[tr.shap.spread]; len(tr.shap.table) != want {
					t.Fatalf("max depth %d, tree %d: %d table values; shapTableSize says %d", depth, k, len(tr.shap.table), want)
				}
			}
			switch {
			case tr.shap == nil:
				layouts["classic"]++
			case tr.shap.spread:
				layouts["spread"]++
				for _, e := range tr.shap.entries {
					if e.nsel == 3 {
						layouts["quads"]++
					}
				}
			default:
				layouts["compact"]++
			}
		}
		t.Logf("max depth %d, budgets %d and %d: deepest tree %d, layouts %v", depth, c.budget, c.spread, m.depth, layouts)
		for _, l := range strings.Fields(c.layouts) {
			if layouts[l] == 0 {
				t.Fatalf("max depth %d, budget %d: no tree %s (%v); the test would miss it", depth, c.budget, l, layouts)
			}
		}
		var worst float64
		for i := range test.X.Rows {
			x := test.X.Row(i)
			got := m.Contributions(x, nil)
			want := classicContributions(m, x)
			for j := range want {
				// Both add the same products in another order and
				// grouping; terms are below 10, so rounding stays far
				// below 1e-12.
				diff := math.Abs(got[j] - want[j])
				worst = max(worst, diff)
				if diff > 1e-12 {
					t.Fatalf("max depth %d, row %d, slot %d: %.17g; classic %.17g", depth, i, j, got[j], want[j])
				}
			}
		}
		t.Logf("max depth %d: largest difference %.3g", depth, worst)
		// Tree by tree over blocks of rows: the same values, bit for bit.
		block := m.ContributionsBlock(test.X.Data, nil)
		for i := range test.X.Rows {
			one := m.Contributions(test.X.Row(i), nil)
			for j, x := range one {
				if math.Float64bits(block[i*len(one)+j]) != math.Float64bits(x) {
					t.Fatalf("max depth %d, row %d, slot %d: block %.17g; row %.17g", depth, i, j, block[i*len(one)+j], x)
				}
			}
		}
	}
}

// TestReasonsTopN checks Reasons against sorting every positive
// contribution, ties to the feature listed first.
func TestReasonsTopN(t *testing.T) {
	d := benchData(3000, 30, 92)
	cfg := DefaultConfig()
	cfg.Trees = 40
	m := fit(t, cfg, d, nil)
	test := benchData(100, 30, 93)
	for i := range test.X.Rows {
		x := test.X.Row(i)
		phi := m.Contributions(x, nil)
		var all []models.Reason
		for j, name := range m.features {
			if phi[j] > 0 {
				all = append(all, models.Reason{Feature: name, Value: x[j], Effect: phi[j]})
			}
		}
		slices.SortStableFunc(all, func(a, b models.Reason) int { return cmp.Compare(b.Effect, a.Effect) })
		for _, n := range []int{1, 3, 5, 40} {
			want := all[:min(n, len(all))]
			got := m.Reasons(x, n)
			if len(got) != len(want) {
				t.Fatalf("row %d, n %d: %d reasons; want %d", i, n, len(got), len(want))
			}
			for k := range want {
				if got[k].Feature != want[k].Feature || got[k].Effect != want[k].Effect || !sameFloat(got[k].Value, want[k].Value) {
					t.Fatalf("row %d, n %d, reason %d: %+v; want %+v", i, n, k, got[k], want[k])
				}
			}
		}
	}
}

func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
