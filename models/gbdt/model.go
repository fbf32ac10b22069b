package gbdt

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/credence-risk/credence/models"
)

// Model is a fitted ensemble of trees whose leaf values add up, with the
// base score, to the log-odds of default. It implements models.Model and
// is safe for concurrent use.
type Model struct {
	features []string
	base     float64 // log-odds before the first tree
	trees    []*tree
	config   Config // the settings it was trained with

	expected float64   // base plus every tree's expected value: TreeSHAP's bias term
	depth    int       // of the deepest tree
	scratch  sync.Pool // *shapScratch
	gains    []float64 // per feature, total split gain
}

// shapScratch is what one Contributions call works in.
type shapScratch struct {
	path []pathElement // classic TreeSHAP
	mask []uint32      // per node, for the tables
	phi  []float64     // Reasons' contributions
}

// node is a tree node: a split, or a leaf when feature is −1. A split's
// children sit side by side after it, left then right.
type node struct {
	threshold   float64 // split: values below it go left
	value       float64 // leaf: the log-odds it adds (learning rate applied)
	feature     int32
	left        int32 // the right child is left+1; a leaf: −1
	defaultLeft bool  // split: NaN goes left
}

// tree is one boosting round's tree. Children always come after their
// parent, so walking down from node 0 ends.
type tree struct {
	nodes []node
	cover []float64  // hessian sum of the training rows through each node
	gain  []float64  // split: its loss reduction; leaf: 0
	mean  float64    // cover-weighted mean of the leaf values
	depth int        // longest root-to-leaf path, in splits
	walk  []step     // the nodes laid out for prediction
	shap  *shapTable // nil: classic TreeSHAP
}

// step is a node laid out for a walk without branches: a leaf loops to
// itself, so that every row takes depth steps and several rows (or
// trees) can be walked side by side, their loads overlapping.
type step struct {
	threshold   float64 // a leaf: −Inf, which no value is below
	feature     int32   // a leaf: 0, any valid column
	right       int32   // the right child (left is right−1); a leaf: itself
	defaultLeft int32   // 1 if NaN goes left
}

// next returns the node after node i for x. A value goes left when it is
// below the threshold; NaN, below nothing and not at or above it either,
// goes left when the second test says so.
func (t *tree) next(i int32, x []float64) int32 {
	s := &t.walk[i]
	v := x[s.feature]
	return s.right - int32(b2i(v < s.threshold)|b2i(!(v >= s.threshold))&int(s.defaultLeft))
}

// leaf returns the value of the leaf x falls in.
func (t *tree) leaf(x []float64) float64 {
	i := int32(0)
	for range t.depth {
		i = t.next(i, x)
	}
	return t.nodes[i].value
}

// b2i is 1 for true, 0 for false; the compiler makes it a SETcc.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// prepare derives the tree's expected value and depth from its nodes.
func (t *tree) prepare() {
	n := len(t.nodes)
	depth := make([]int, n)
	mean := make([]float64, n)
	t.depth = 0
	for i, nd := range t.nodes {
		if nd.feature >= 0 {
			depth[nd.left], depth[nd.left+1] = depth[i]+1, depth[i]+1
		} else {
			t.depth = max(t.depth, depth[i])
		}
	}
	for i := n - 1; i >= 0; i-- {
		nd := t.nodes[i]
		if nd.feature < 0 {
			mean[i] = nd.value
			continue
		}
		l, r := nd.left, nd.left+1
		mean[i] = (mean[l]*t.cover[l] + mean[r]*t.cover[r]) / t.cover[i]
	}
	t.mean = mean[0]
	t.walk = make([]step, n)
	for i, nd := range t.nodes {
		if nd.feature < 0 {
			t.walk[i] = step{threshold: math.Inf(-1), right: int32(i)}
		} else {
			t.walk[i] = step{threshold: nd.threshold, feature: nd.feature, right: nd.left + 1, defaultLeft: int32(b2i(nd.defaultLeft))}
		}
	}
}

func newModel(features []string, base float64, trees []*tree, cfg Config) *Model {
	m := &Model{features: features, base: base, trees: trees, config: cfg,
		expected: base, gains: make([]float64, len(features))}
	for _, t := range trees {
		m.expected += t.mean
		m.depth = max(m.depth, t.depth)
		for i, nd := range t.nodes {
			if nd.feature >= 0 {
				m.gains[nd.feature] += t.gain[i]
			}
		}
	}
	// SHAP tables: spread tree by tree while spreadBudget lasts, then
	// compact while tableBudget lasts.
	nodes := 0
	spreadLeft, budget := spreadBudget, tableBudget
	for _, t := range trees {
		nodes = max(nodes, len(t.nodes))
		compact, spread, ok := t.shapTableSize()
		switch {
		case !ok:
		case spread <= spreadLeft && spread <= budget:
			t.shap = t.buildShapTable(spread, true)
			spreadLeft -= spread
			budget -= spread
		case compact <= budget:
			t.shap = t.buildShapTable(compact, false)
			budget -= compact
		}
	}
	size := (m.depth + 2) * (m.depth + 3) / 2
	p := len(features)
	m.scratch.New = func() any {
		return &shapScratch{path: make([]pathElement, size), mask: make([]uint32, nodes), phi: make([]float64, p+1)}
	}
	return m
}

// Family returns "gbdt".
func (m *Model) Family() string { return Name }

// Features returns the names of the columns the model reads, in order.
// The slice is the model's own: callers must not change it.
func (m *Model) Features() []string { return m.features }

// Config returns the settings the model was trained with.
func (m *Model) Config() Config { return m.config }

// Trees returns the number of trees kept: the best round's when early
// stopping ended training.
func (m *Model) Trees() int { return len(m.trees) }

// Margin returns the log-odds of default of x.
func (m *Model) Margin(x []float64) float64 {
	m.checkWidth(len(x))
	z := m.base
	trees := m.trees
	k := 0
	// Eight trees side by side: their walks are independent, so the
	// processor overlaps their loads. The leaf values still add up in
	// tree order, as in PDs.
	for ; k+8 <= len(trees); k += 8 {
		t := trees[k : k+8 : k+8]
		depth := 0
		for _, tr := range t {
			depth = max(depth, tr.depth)
		}
		var i0, i1, i2, i3, i4, i5, i6, i7 int32
		for range depth {
			i0, i1, i2, i3 = t[0].next(i0, x), t[1].next(i1, x), t[2].next(i2, x), t[3].next(i3, x)
			i4, i5, i6, i7 = t[4].next(i4, x), t[5].next(i5, x), t[6].next(i6, x), t[7].next(i7, x)
		}
		z += t[0].nodes[i0].value
		z += t[1].nodes[i1].value
		z += t[2].nodes[i2].value
		z += t[3].nodes[i3].value
		z += t[4].nodes[i4].value
		z += t[5].nodes[i5].value
		z += t[6].nodes[i6].value
		z += t[7].nodes[i7].value
	}
	for _, t := range trees[k:] {
		z += t.leaf(x)
	}
	return z
}

// PD returns the probability of default of x.
func (m *Model) PD(x []float64) float64 { return models.Sigmoid(m.Margin(x)) }

// PDs writes the probability of default of every row of X to out, in
// parallel over blocks of rows when X is large. X must have the model's
// columns in the model's order.
func (m *Model) PDs(X *models.Matrix, out []float64) {
	m.checkWidth(X.Cols)
	if X.Names != nil && !slices.Equal(X.Names, m.features) {
		// Scoring other columns would return plausible, wrong PDs.
		panic(fmt.Sprintf("gbdt: matrix columns %q differ from the model's %q", X.Names, m.features))
	}
	n := X.Rows
	out = out[:n]
	const block = 64 // rows whose values stay in L1 while every tree walks them
	workers := runtime.GOMAXPROCS(0)
	if n < 8*block {
		workers = 1
	}
	forEach(workers, (n+block-1)/block, func(k int) {
		lo, hi := k*block, min((k+1)*block, n)
		z := out[lo:hi]
		for i := range z {
			z[i] = m.base
		}
		// Tree by tree over the block, so that a tree's nodes stay in
		// cache while it scores every row, eight rows side by side; each
		// row still adds its leaf values in tree order, exactly as PD.
		p := X.Cols
		for _, t := range m.trees {
			i := 0
			for ; i+8 <= len(z); i += 8 {
				r := X.Data[(lo+i)*p : (lo+i+8)*p]
				x0, x1, x2, x3 := r[:p], r[p:2*p], r[2*p:3*p], r[3*p:4*p]
				x4, x5, x6, x7 := r[4*p:5*p], r[5*p:6*p], r[6*p:7*p], r[7*p:]
				var n0, n1, n2, n3, n4, n5, n6, n7 int32
				for range t.depth {
					n0, n1, n2, n3 = t.next(n0, x0), t.next(n1, x1), t.next(n2, x2), t.next(n3, x3)
					n4, n5, n6, n7 = t.next(n4, x4), t.next(n5, x5), t.next(n6, x6), t.next(n7, x7)
				}
				z[i] += t.nodes[n0].value
				z[i+1] += t.nodes[n1].value
				z[i+2] += t.nodes[n2].value
				z[i+3] += t.nodes[n3].value
				z[i+4] += t.nodes[n4].value
				z[i+5] += t.nodes[n5].value
				z[i+6] += t.nodes[n6].value
				z[i+7] += t.nodes[n7].value
			}
			for ; i < len(z); i++ {
				z[i] += t.leaf(X.Row(lo + i))
			}
		}
		for i := range z {
			z[i] = models.Sigmoid(z[i])
		}
	})
}

func (m *Model) checkWidth(n int) {
	if n != len(m.features) {
		panic(fmt.Sprintf("gbdt: %d feature values for a model of %d features", n, len(m.features)))
	}
}

// Reasons returns up to n features that raised the PD of x the most, by
// their TreeSHAP contributions to its log-odds, largest first; of equal
// contributions, the feature listed first in Features comes first.
func (m *Model) Reasons(x []float64, n int) []models.Reason {
	if n <= 0 {
		return nil
	}
	s := m.scratch.Get().(*shapScratch)
	defer m.scratch.Put(s)
	return models.TopReasons(m.features, x, m.contributions(x, s.phi, s), n)
}

// ReasonsBlock returns Reasons(x, n) for every row x of X, from the
// contributions of ContributionsBlock.
func (m *Model) ReasonsBlock(X []float64, n int) [][]models.Reason {
	p := len(m.features)
	out := make([][]models.Reason, len(X)/max(p, 1))
	if n <= 0 || len(out) == 0 {
		return out
	}
	phi := m.ContributionsBlock(X, nil)
	for r := range out {
		out[r] = models.TopReasons(m.features, X[r*p:(r+1)*p], phi[r*(p+1):(r+1)*(p+1)], n)
	}
	return out
}

// Importance returns every feature's total split gain over the trees
// kept: how much of the loss reduction splits on it made.
func (m *Model) Importance() map[string]float64 {
	imp := make(map[string]float64, len(m.features))
	for j, name := range m.features {
		imp[name] = m.gains[j]
	}
	return imp
}
