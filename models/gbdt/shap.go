package gbdt

import (
	"math/bits"
	"slices"
)

// Exact Shapley values of the trees from tables built once per model, in
// the manner of Fast TreeSHAP v2 (Yang, "Fast TreeSHAP", 2021): the
// path-dependent TreeSHAP values (the same ones as classic TreeSHAP and
// XGBoost's pred_contribs), at O(leaves · depth) a row and tree instead of
// O(leaves · depth²).
//
// Take a leaf of value v whose path splits on the d distinct features D.
// Feature j's splits on the path pass a share z_j of the cover (the product
// of child over parent covers), and x satisfies all of them (o_j = 1) or not
// (o_j = 0). The value of a coalition S is, summed over the leaves,
// v · Π_{j∈S} o_j · Π_{j∉S} z_j, so each leaf is a game of its d features
// alone. With E the features x satisfies, only the coalitions inside E count,
// and the Shapley value of feature i of that game is
//
//	i ∈ E:  (1 − z_i) · Z(E) · T(E∖i)
//	i ∉ E:       −     Z(E) · T(E)
//
// where Z(E) = Π_{j∈D∖E} z_j and T(A) = v · Σ_{S⊆A} w(|S|) · Π_{j∈A∖S} z_j
// with the Shapley weight w(s) = s!(d−s−1)!/d!. Since Z(E) = z_i · Z(E∖i),
// both read one table, U(A) = Z(A) · T(A):
//
//	i ∈ E:  (1 − z_i)/z_i · U(E∖i)
//	i ∉ E:       −          U(E)
//
// U depends on the leaf and A alone, so it is tabulated for the 2^d subsets
// of each leaf's features when the model is built (O(d · 2^d) a leaf).
// Scoring a row finds E for every leaf in one pass over the nodes, then
// reads d+1 entries of the leaf's table and adds d terms.
//
// The tables hold 2^d values a leaf: 64 KiB for a tree of depth 6, 2 MiB at
// depth 10. A tree whose leaves have more than maxTableFeatures features, or
// whose tables would take the model past tableBudget values, or with a
// branch of no cover (z = 0), keeps classic TreeSHAP (treeshap.go).

const (
	// maxTableFeatures bounds the distinct features of a leaf's path for
	// its tree to be tabulated.
	maxTableFeatures = 12
	// tableBudget bounds a model's table values (8 bytes each): 64 MiB.
	tableBudget = 8 << 20
)

// shapTable is one tree's precomputed SHAP tables.
type shapTable struct {
	// bit is, for each split, the position of its feature among the
	// distinct features of the path from the root to it, in order of
	// their first split.
	bit []uint8
	// leaves lists the leaves not folded into a pair; pairs the splits
	// whose two children are leaves and whose feature is new on the path.
	leaves, pairs []shapLeaf
	// feature and ratio hold each entry's features and their (1 − z)/z,
	// from first on.
	feature []int32
	ratio   []float64
	table   []float64 // each entry's tables, from table on
}

// shapLeaf is a leaf whose path splits on d ≥ 1 distinct features, with
// their table U; or a pair of sibling leaves whose parent splits on a
// feature new on the path, the pair's d features being the ones above the
// parent. Summed over the two leaves, the parent's feature f then gets
// W(E) and every other feature i
//
//	i ∈ E:  (1 − z_i)/z_i · V(E∖i)
//	i ∉ E:       −          V(E)
//
// with V(A) = U_hot(A ∪ f) + U_cold(A) and W(A) = (1 − z_f,hot)/z_f,hot ·
// U_hot(A) − U_cold(A), hot being the child x goes to. The pair holds
// V_left, V_right, W_left and W_right, of 2^d values each (as many as its
// two leaves), and costs d+1 terms a row instead of 2d+2.
type shapLeaf struct {
	node    int32 // the leaf, or the pair's parent
	d       int32
	first   int32 // into shapTable.feature and ratio
	feature int32 // a pair: the parent's feature
	table   int   // into shapTable.table
}

// shapTableSize returns the number of table values t would need, or −1 if
// a path has more than maxTableFeatures distinct features or a branch has
// no cover.
func (t *tree) shapTableSize() int {
	size := 0
	var walk func(i int32, feats []int32) bool
	walk = func(i int32, feats []int32) bool {
		nd := t.nodes[i]
		if nd.feature < 0 {
			if len(feats) > 0 {
				size += 1 << len(feats)
			}
			return true
		}
		if !(t.cover[nd.left] > 0 && t.cover[nd.left+1] > 0) {
			return false
		}
		if !containsFeature(feats, nd.feature) {
			if len(feats) == maxTableFeatures {
				return false
			}
			feats = append(feats, nd.feature)
		}
		return walk(nd.left, feats) && walk(nd.left+1, feats)
	}
	if !walk(0, make([]int32, 0, maxTableFeatures)) {
		return -1
	}
	return size
}

func containsFeature(feats []int32, f int32) bool {
	for _, g := range feats {
		if g == f {
			return true
		}
	}
	return false
}

// buildShapTable tabulates t; t.shapTableSize must be non-negative.
func (t *tree) buildShapTable(size int) *shapTable {
	st := &shapTable{bit: make([]uint8, len(t.nodes)), table: make([]float64, 0, size)}
	// grow returns the next n values of the table.
	grow := func(n int) []float64 {
		k := len(st.table)
		st.table = st.table[:k+n]
		return st.table[k : k+n]
	}
	var walk func(i int32, feats []int32, zs []float64)
	walk = func(i int32, feats []int32, zs []float64) {
		nd := t.nodes[i]
		if nd.feature < 0 {
			if len(feats) == 0 {
				return // a tree of one leaf: no feature moves it
			}
			st.leaves = append(st.leaves, st.entry(i, feats, zs))
			st.leafTable(grow(1<<len(feats)), nd.value, zs)
			return
		}
		k := len(feats)
		for j, f := range feats {
			if f == nd.feature {
				k = j
				break
			}
		}
		st.bit[i] = uint8(k)
		l, r := nd.left, nd.left+1
		zl, zr := t.cover[l]/t.cover[i], t.cover[r]/t.cover[i]
		if k == len(feats) && t.nodes[l].feature < 0 && t.nodes[r].feature < 0 {
			e := st.entry(i, feats, zs)
			e.feature = nd.feature
			st.pairs = append(st.pairs, e)
			n := 1 << len(feats)
			ul, ur := make([]float64, 2*n), make([]float64, 2*n)
			st.leafTable(ul, t.nodes[l].value, append(slices.Clone(zs), zl))
			st.leafTable(ur, t.nodes[r].value, append(slices.Clone(zs), zr))
			vl, vr, wl, wr := grow(n), grow(n), grow(n), grow(n)
			rl, rr := (1-zl)/zl, (1-zr)/zr
			for a := range n {
				vl[a] = ul[a|n] + ur[a]
				vr[a] = ur[a|n] + ul[a]
				wl[a] = rl*ul[a] - ur[a]
				wr[a] = rr*ur[a] - ul[a]
			}
			return
		}
		if k == len(feats) {
			feats = append(feats, nd.feature)
			zs = append(zs, 1)
		}
		for _, c := range [...]struct {
			node int32
			z    float64
		}{{l, zl}, {r, zr}} {
			czs := slices.Clone(zs)
			czs[k] *= c.z
			walk(c.node, feats[:len(feats):len(feats)], czs)
		}
	}
	walk(0, nil, nil)
	return st
}

// entry records node i's path features and ratios.
func (st *shapTable) entry(i int32, feats []int32, zs []float64) shapLeaf {
	e := shapLeaf{node: i, d: int32(len(feats)), first: int32(len(st.feature)), table: len(st.table)}
	st.feature = append(st.feature, feats...)
	for _, z := range zs {
		st.ratio = append(st.ratio, (1-z)/z)
	}
	return e
}

// leafTable writes U(A) = Z(A) · T(A) for a leaf of value v whose path
// features pass the shares zs of the cover, A over the subsets of them.
func (st *shapTable) leafTable(tab []float64, v float64, zs []float64) {
	d, n := len(zs), len(tab)
	for s := range n - 1 {
		k := bits.OnesCount(uint(s))
		tab[s] = factorial(k) * factorial(d-k-1) / factorial(d) // w(|s|)
	}
	tab[n-1] = 0 // all d features known: never read
	// T(A) = Σ_{S⊆A} w(|S|) Π_{j∈A∖S} z_j, one feature at a time: a
	// subset of A either holds j or leaves it out at a factor z_j.
	for j, z := range zs {
		b := 1 << j
		for a := range n {
			if a&b != 0 {
				tab[a] += z * tab[a^b]
			}
		}
	}
	for a := range tab {
		u := v * tab[a]
		for j, z := range zs {
			if a&(1<<j) == 0 {
				u *= z
			}
		}
		tab[a] = u
	}
}

func factorial(n int) float64 {
	f := 1.0
	for k := 2; k <= n; k++ {
		f *= float64(k)
	}
	return f
}

// add adds the contributions of tree t for x to phi. mask is scratch of at
// least len(t.nodes) entries.
func (st *shapTable) add(t *tree, x, phi []float64, mask []uint32) {
	// mask[i]: bit k is set when x satisfies every split on the path's
	// k-th feature down to node i. Children come after their parent.
	mask = mask[:len(t.nodes)]
	mask[0] = ^uint32(0)
	for i := range t.walk {
		s := &t.walk[i]
		if s.right == int32(i) {
			continue // a leaf
		}
		hot := t.next(int32(i), x)
		cold := 2*s.right - 1 - hot
		m := mask[i]
		mask[hot] = m
		mask[cold] = m &^ (1 << st.bit[i])
	}
	for _, l := range st.leaves {
		d := int(l.d)
		e := mask[l.node] & (1<<d - 1)
		feats := st.feature[l.first : int(l.first)+d]
		ratio := st.ratio[l.first : int(l.first)+d]
		tab := st.table[l.table : l.table+1<<d]
		out := tab[e]
		for k, f := range feats {
			// Without a branch: which way is x's own.
			in := float64(e >> k & 1)
			phi[f] += in*(ratio[k]*tab[e^1<<k]) - (1-in)*out
		}
	}
	for _, l := range st.pairs {
		d := int(l.d)
		n := 1 << d
		e := mask[l.node] & uint32(n-1)
		right := int(t.next(l.node, x) - t.walk[l.node].right + 1) // 0 or 1
		v := st.table[l.table+right*n : l.table+(right+1)*n]
		phi[l.feature] += st.table[l.table+(2+right)*n+int(e)]
		feats := st.feature[l.first : int(l.first)+d]
		ratio := st.ratio[l.first : int(l.first)+d]
		out := v[e]
		for k, f := range feats {
			in := float64(e >> k & 1)
			phi[f] += in*(ratio[k]*v[e^1<<k]) - (1-in)*out
		}
	}
}

// Contributions returns the TreeSHAP contribution of every feature of x
// to its log-odds of default, then the bias (the model's expected
// log-odds over its training cover) in the last slot. They sum to
// Margin(x). dst is reused when it has room for len(Features())+1 values.
func (m *Model) Contributions(x []float64, dst []float64) []float64 {
	s := m.scratch.Get().(*shapScratch)
	dst = m.contributions(x, dst, s)
	m.scratch.Put(s)
	return dst
}

func (m *Model) contributions(x, dst []float64, s *shapScratch) []float64 {
	m.checkWidth(len(x))
	p := len(m.features)
	if cap(dst) < p+1 {
		dst = make([]float64, p+1)
	}
	dst = dst[:p+1]
	clear(dst)
	for _, t := range m.trees {
		switch {
		case t.shap != nil:
			t.shap.add(t, x, dst, s.mask)
		case t.depth > 0:
			t.pathContributions(x, dst, s.path)
		}
	}
	dst[p] = m.expected
	return dst
}
