package gbdt

import (
	"cmp"
	"fmt"
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
	paths    sync.Pool // *[]pathElement scratch for TreeSHAP
	gains    []float64 // per feature, total split gain
}

// node is a tree node: a split, or a leaf when feature is −1. The right
// child is always left+1, so that the walk down picks the next node
// without a branch the processor could mispredict.
type node struct {
	threshold float64 // split: values below it go left
	value     float64 // leaf: the log-odds it adds (learning rate applied)
	feature   int32
	left      int32 // the right child is left+1
	missing   int32 // the child NaN goes to: left or left+1
}

func (n *node) defaultLeft() bool { return n.missing == n.left }

// tree is one boosting round's tree. Children always come after their
// parent, so walking down from node 0 ends.
type tree struct {
	nodes []node
	cover []float64 // hessian sum of the training rows through each node
	gain  []float64 // split: its loss reduction; leaf: 0
	mean  float64   // cover-weighted mean of the leaf values
	depth int       // longest root-to-leaf path, in splits
	walk  []step    // the nodes laid out for prediction
}

// step is a node laid out for a walk without branches: a leaf loops to
// itself, so that every row takes depth steps and several rows (or
// trees) can be walked side by side, their loads overlapping.
type step struct {
	threshold float64
	feature   int32 // a leaf: 0, any valid column
	right     int32 // the child values ≥ threshold go to; a leaf: itself
	back      int32 // right − left: 1 for a split, 0 for a leaf
	missing   int32 // the child NaN goes to; a leaf: itself
}

// next returns the node after node i for x.
func (t *tree) next(i int32, x []float64) int32 {
	s := &t.walk[i]
	v := x[s.feature]
	n := s.right - s.back*int32(b2i(v < s.threshold))
	return n + (s.missing-n)&-int32(b2i(v != v))
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
			t.walk[i] = step{right: int32(i), missing: int32(i)}
		} else {
			t.walk[i] = step{threshold: nd.threshold, feature: nd.feature, right: nd.left + 1, back: 1, missing: nd.missing}
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
	size := (m.depth + 2) * (m.depth + 3) / 2
	m.paths.New = func() any {
		p := make([]pathElement, size)
		return &p
	}
	return m
}

// Family returns "gbdt".
func (m *Model) Family() string { return Family }

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
	// Four trees side by side: their walks are independent, so the
	// processor overlaps their loads.
	for ; k+4 <= len(trees); k += 4 {
		a, b, c, d := trees[k], trees[k+1], trees[k+2], trees[k+3]
		var ia, ib, ic, id int32
		for range max(a.depth, b.depth, c.depth, d.depth) {
			ia, ib, ic, id = a.next(ia, x), b.next(ib, x), c.next(ic, x), d.next(id, x)
		}
		z += a.nodes[ia].value
		z += b.nodes[ib].value
		z += c.nodes[ic].value
		z += d.nodes[id].value
	}
	for _, t := range trees[k:] {
		z += t.leaf(x)
	}
	return z
}

// PD returns the probability of default of x.
func (m *Model) PD(x []float64) float64 { return models.Sigmoid(m.Margin(x)) }

// PDs writes the probability of default of every row of X to out, in
// parallel over blocks of rows when X is large.
func (m *Model) PDs(X *models.Matrix, out []float64) {
	m.checkWidth(X.Cols)
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
		// cache while it scores every row, four rows side by side; each
		// row still adds its leaf values in tree order, exactly as PD.
		for _, t := range m.trees {
			i := 0
			for ; i+4 <= len(z); i += 4 {
				x0, x1, x2, x3 := X.Row(lo+i), X.Row(lo+i+1), X.Row(lo+i+2), X.Row(lo+i+3)
				var n0, n1, n2, n3 int32
				for range t.depth {
					n0, n1, n2, n3 = t.next(n0, x0), t.next(n1, x1), t.next(n2, x2), t.next(n3, x3)
				}
				z[i] += t.nodes[n0].value
				z[i+1] += t.nodes[n1].value
				z[i+2] += t.nodes[n2].value
				z[i+3] += t.nodes[n3].value
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
// their TreeSHAP contributions to its log-odds, largest first.
func (m *Model) Reasons(x []float64, n int) []models.Reason {
	phi := m.Contributions(x, nil)
	var rs []models.Reason
	for j, name := range m.features {
		if phi[j] > 0 {
			rs = append(rs, models.Reason{Feature: name, Value: x[j], Effect: phi[j]})
		}
	}
	slices.SortStableFunc(rs, func(a, b models.Reason) int { return cmp.Compare(b.Effect, a.Effect) })
	if len(rs) > n {
		rs = rs[:max(n, 0)]
	}
	return rs
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
