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
// Sibling leaves under a split on a feature new on their path share one
// entry (see shapEntry). Scoring a row finds E for every leaf in one pass
// over the nodes, then each entry adds its terms.
//
// Two layouts: spread, where each entry holds, for every E, the d
// contributions themselves, ready to add (one cache line or two a leaf and
// row); and compact, where it holds U alone and the row computes them from
// d+1 entries (2^d values a leaf: 32 KiB for a tree of depth 6, against 96
// KiB spread). A model is spread when all its trees fit in tableBudget,
// else compact tree by tree while the budget lasts. A tree whose leaves have
// more than maxTableFeatures features, beyond the budget, or with a branch
// of no cover (z = 0), keeps classic TreeSHAP (treeshap.go).

// maxTableFeatures bounds the distinct features of a leaf's path for its
// tree to be tabulated.
const maxTableFeatures = 12

// tableBudget bounds a model's table values (8 bytes each): 64 MiB. Tests
// lower it to reach every layout.
var tableBudget = 8 << 20

// shapTable is one tree's precomputed SHAP tables.
type shapTable struct {
	// bit is, for each split, the position of its feature among the
	// distinct features of the path from the root to it, in order of
	// their first split.
	bit     []uint8
	spread  bool
	entries []shapEntry
	// feature holds each entry's width features from first on; ratio,
	// in the compact layout, the (1 − z)/z of its d path features, from
	// first on too.
	feature []int32
	ratio   []float64
	table   []float64 // each entry's values, from table on
}

// shapEntry is a leaf whose path splits on d ≥ 1 distinct features, with
// their table U; or a pair of sibling leaves whose parent splits on a
// feature f new on the path, the pair's d features being the ones above
// the parent. Summed over the two leaves, f then gets W(E) and every other
// feature i
//
//	i ∈ E:  (1 − z_i)/z_i · V(E∖i)
//	i ∉ E:       −          V(E)
//
// with V(A) = U_hot(A ∪ f) + U_cold(A) and W(A) = (1 − z_f,hot)/z_f,hot ·
// U_hot(A) − U_cold(A), hot being the child x goes to. A compact pair holds
// V_left, V_right, W_left and W_right, 2^d values each (as many as its two
// leaves hold), and costs d+1 terms a row instead of 2d+2.
type shapEntry struct {
	node  int32 // the leaf, or the pair's parent
	d     int32
	width int32 // features it adds to: d, and f last for a pair
	pair  bool
	first int32 // into shapTable.feature and ratio
	table int   // into shapTable.table
}

// entrySize is the number of table values of an entry of d features.
func entrySize(d int, pair, spread bool) int {
	states, width := 1, d
	if pair {
		states, width = 2, d+1
	}
	if spread {
		return (states << d) * width
	}
	return (states * states) << d // leaf: U; pair: V and W per side
}

// shapTableSize returns the number of table values t would need in the
// compact and the spread layouts, or ok false if a path has more than
// maxTableFeatures distinct features or a branch has no cover.
func (t *tree) shapTableSize() (compact, spread int, ok bool) {
	var walk func(i int32, feats []int32) bool
	walk = func(i int32, feats []int32) bool {
		nd := t.nodes[i]
		if nd.feature < 0 {
			if d := len(feats); d > 0 {
				compact += entrySize(d, false, false)
				spread += entrySize(d, false, true)
			}
			return true
		}
		if !(t.cover[nd.left] > 0 && t.cover[nd.left+1] > 0) {
			return false
		}
		if t.pairs(nd, feats) {
			compact += entrySize(len(feats), true, false)
			spread += entrySize(len(feats), true, true)
			return true
		}
		if !containsFeature(feats, nd.feature) {
			if len(feats) == maxTableFeatures {
				return false
			}
			feats = append(feats, nd.feature)
		}
		return walk(nd.left, feats) && walk(nd.left+1, feats)
	}
	ok = walk(0, make([]int32, 0, maxTableFeatures))
	return compact, spread, ok
}

// pairs reports whether split nd's children are leaves sharing an entry:
// both leaves, and its feature new on the path feats.
func (t *tree) pairs(nd node, feats []int32) bool {
	return t.nodes[nd.left].feature < 0 && t.nodes[nd.left+1].feature < 0 && !containsFeature(feats, nd.feature)
}

func containsFeature(feats []int32, f int32) bool {
	for _, g := range feats {
		if g == f {
			return true
		}
	}
	return false
}

// buildShapTable tabulates t in the given layout, of size values (from
// shapTableSize, whose ok must be true).
func (t *tree) buildShapTable(size int, spread bool) *shapTable {
	st := &shapTable{bit: make([]uint8, len(t.nodes)), spread: spread, table: make([]float64, 0, size)}
	// add records an entry from its compact tables.
	add := func(e shapEntry, feats []int32, ratio, u []float64) {
		e.first, e.table = int32(len(st.feature)), len(st.table)
		st.feature = append(st.feature, feats...)
		st.entries = append(st.entries, e)
		if !spread {
			st.ratio = append(st.ratio, ratio...)
			if e.pair {
				st.ratio = append(st.ratio, 0) // f's, unused: ratio lines up with feature
			}
			st.table = append(st.table, u...)
			return
		}
		d, w := int(e.d), int(e.width)
		n := 1 << d
		states := 1
		if e.pair {
			states = 2
		}
		for s := range states {
			v := u[s*n : (s+1)*n]
			for a := range n {
				for k := range d {
					if a&(1<<k) != 0 {
						st.table = append(st.table, ratio[k]*v[a^1<<k])
					} else {
						st.table = append(st.table, -v[a])
					}
				}
				if w > d { // the pair's feature: W
					st.table = append(st.table, u[(2+s)*n+a])
				}
			}
		}
	}
	var walk func(i int32, feats []int32, zs []float64)
	walk = func(i int32, feats []int32, zs []float64) {
		nd := t.nodes[i]
		d := len(feats)
		if nd.feature < 0 {
			if d == 0 {
				return // a tree of one leaf: no feature moves it
			}
			u := make([]float64, 1<<d)
			leafTable(u, nd.value, zs)
			add(shapEntry{node: i, d: int32(d), width: int32(d)}, feats, ratios(zs), u)
			return
		}
		l, r := nd.left, nd.left+1
		zl, zr := t.cover[l]/t.cover[i], t.cover[r]/t.cover[i]
		if t.pairs(nd, feats) {
			st.bit[i] = uint8(d)
			n := 1 << d
			ul, ur := make([]float64, 2*n), make([]float64, 2*n)
			leafTable(ul, t.nodes[l].value, append(slices.Clone(zs), zl))
			leafTable(ur, t.nodes[r].value, append(slices.Clone(zs), zr))
			u := make([]float64, 4*n) // V_left, V_right, W_left, W_right
			rl, rr := (1-zl)/zl, (1-zr)/zr
			for a := range n {
				u[a] = ul[a|n] + ur[a]
				u[n+a] = ur[a|n] + ul[a]
				u[2*n+a] = rl*ul[a] - ur[a]
				u[3*n+a] = rr*ur[a] - ul[a]
			}
			add(shapEntry{node: i, d: int32(d), width: int32(d + 1), pair: true},
				append(slices.Clone(feats), nd.feature), ratios(zs), u)
			return
		}
		k := slices.Index(feats, nd.feature)
		if k < 0 {
			k = d
			feats = append(feats, nd.feature)
			zs = append(zs, 1)
		}
		st.bit[i] = uint8(k)
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

// ratios returns (1 − z)/z of each z.
func ratios(zs []float64) []float64 {
	r := make([]float64, len(zs))
	for k, z := range zs {
		r[k] = (1 - z) / z
	}
	return r
}

// leafTable writes U(A) = Z(A) · T(A) for a leaf of value v whose path
// features pass the shares zs of the cover, A over the subsets of them.
func leafTable(tab []float64, v float64, zs []float64) {
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
	for _, l := range st.entries {
		d, w := int(l.d), int(l.width)
		e := int(mask[l.node] & (1<<d - 1))
		right := 0 // a pair: which child x goes to
		if l.pair {
			right = int(t.next(l.node, x) - t.walk[l.node].right + 1)
		}
		feats := st.feature[l.first : int(l.first)+w]
		if st.spread {
			i := l.table + (right<<d|e)*w
			vals := st.table[i : i+w]
			for k, f := range feats {
				phi[f] += vals[k]
			}
			continue
		}
		n := 1 << d
		v := st.table[l.table+right*n : l.table+(right+1)*n]
		if l.pair {
			phi[feats[d]] += st.table[l.table+(2+right)*n+e]
		}
		ratio := st.ratio[l.first : int(l.first)+d]
		out := v[e]
		for k, f := range feats[:d] {
			// Without a branch: which way is x's own.
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
