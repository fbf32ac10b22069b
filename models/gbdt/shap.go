package gbdt

import (
	"fmt"
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
// entry, and in the spread layout so do four leaves under two levels of
// such splits (see shapEntry). Scoring a row finds E for every entry in one
// pass over the splits above the entries, then each entry adds its terms.
//
// Two layouts: spread, where each entry holds, for every E, the d
// contributions themselves, ready to add (one cache line or two a leaf and
// row); and compact, where it holds U alone and the row computes them from
// d+1 entries (2^d values a leaf: 32 KiB for a tree of depth 6, against 112
// KiB spread). Trees are spread in order while spreadBudget lasts, the rest
// compact while tableBudget lasts. A tree whose leaves have
// more than maxTableFeatures features, beyond the budget, or with a branch
// of no cover (z = 0), keeps classic TreeSHAP (treeshap.go).

// maxTableFeatures bounds the distinct features of a leaf's path for its
// tree to be tabulated.
const maxTableFeatures = 12

// tableBudget bounds a model's table values (8 bytes each): 64 MiB; and
// spreadBudget those in the spread layout: 16 MiB, so that they stay in a
// server processor's last-level cache, out of which the compact layout, a
// third of the size, is the faster. Tests lower them to reach every layout.
var tableBudget, spreadBudget = 8 << 20, 2 << 20

// shapTable is one tree's precomputed SHAP tables.
type shapTable struct {
	// upper lists the splits above the entries, parents first; bit holds,
	// for each, the position of its feature among the distinct features
	// of the path from the root to it, in order of their first split.
	upper   []int32
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
//
// In the spread layout, a split on a new feature whose two children are
// pairs (on features new to the path too) makes a quad of four leaves:
// d+3 contributions for each of the 8 ways x goes at the three splits and
// each pattern of the d features above, 8 · 2^d · (d+3) values in all
// (112 KiB a tree of depth 6).
type shapEntry struct {
	node  int32 // the leaf, or the top split of a pair or quad
	d     int32 // features above: their pattern indexes the table
	width int32 // features it adds to: d, then a pair's or quad's own
	first int32 // into shapTable.feature and ratio
	table int   // into shapTable.table
	// The state: whether x goes right at each of the splits sel[:nsel]
	// (a pair's, or a quad's top, left and right), as bits, first highest.
	nsel int32
	sel  [3]int32
}

// entrySize is the number of table values of an entry of d features above
// it: 1, 2 or 3 splits of its own (a leaf, a pair, a quad).
func entrySize(d, splits int, spread bool) int {
	if !spread {
		return (1 + 3*splits) << d // leaf: U; pair: V and W per side
	}
	states := 1 << splits // 1, 2, 8 (splits 0, 1, 3)
	return (states << d) * (d + splits)
}

// shapTableSize returns the number of table values t would need in the
// compact and the spread layouts, or ok false if a path has more than
// maxTableFeatures distinct features or a branch has no cover.
func (t *tree) shapTableSize() (compact, spread int, ok bool) {
	var walk func(i int32, feats []int32, spread bool) (int, bool)
	walk = func(i int32, feats []int32, spread bool) (int, bool) {
		nd := t.nodes[i]
		d := len(feats)
		switch {
		case nd.feature < 0 && d == 0:
			return 0, true
		case nd.feature < 0:
			return entrySize(d, 0, spread), true
		case !(t.cover[nd.left] > 0 && t.cover[nd.left+1] > 0):
			return 0, false
		case spread && t.quad(nd, feats):
			return entrySize(d, 3, true), true
		case t.pair(nd, feats):
			return entrySize(d, 1, spread), true
		}
		if !slices.Contains(feats, nd.feature) {
			if d == maxTableFeatures {
				return 0, false
			}
			feats = append(feats, nd.feature)
		}
		a, ok := walk(nd.left, feats, spread)
		b, ok2 := walk(nd.left+1, feats, spread)
		return a + b, ok && ok2
	}
	compact, ok = walk(0, make([]int32, 0, maxTableFeatures), false)
	spread, _ = walk(0, make([]int32, 0, maxTableFeatures), true)
	return compact, spread, ok
}

// pair reports whether split nd's children are leaves sharing an entry:
// both leaves, and its feature new on the path feats.
func (t *tree) pair(nd node, feats []int32) bool {
	return t.nodes[nd.left].feature < 0 && t.nodes[nd.left+1].feature < 0 && !slices.Contains(feats, nd.feature)
}

// quad reports whether split nd and its children make a quad: its feature
// new on the path feats, and both children pairs below it.
func (t *tree) quad(nd node, feats []int32) bool {
	if slices.Contains(feats, nd.feature) || len(feats) >= maxTableFeatures {
		return false
	}
	below := append(slices.Clone(feats), nd.feature)
	l, r := t.nodes[nd.left], t.nodes[nd.left+1]
	return l.feature >= 0 && r.feature >= 0 && t.pair(l, below) && t.pair(r, below)
}

// buildShapTable tabulates t in the given layout, of size values (from
// shapTableSize, whose ok must be true).
func (t *tree) buildShapTable(size int, spread bool) *shapTable {
	st := &shapTable{spread: spread, table: make([]float64, 0, size)}
	entry := func(i int32, feats []int32, width int) *shapEntry {
		st.entries = append(st.entries, shapEntry{node: i, d: int32(len(feats)), width: int32(width),
			first: int32(len(st.feature)), table: len(st.table)})
		return &st.entries[len(st.entries)-1]
	}
	var walk func(i int32, feats []int32, zs []float64)
	walk = func(i int32, feats []int32, zs []float64) {
		nd := t.nodes[i]
		d := len(feats)
		switch {
		case nd.feature < 0 && d == 0:
			return // a tree of one leaf: no feature moves it
		case nd.feature < 0:
			u := make([]float64, 1<<d)
			leafTable(u, nd.value, zs)
			entry(i, feats, d)
			st.feature = append(st.feature, feats...)
			r := ratios(zs)
			if !spread {
				st.ratio = append(st.ratio, r...)
				st.table = append(st.table, u...)
				return
			}
			for a := range 1 << d {
				st.table = spreadValues(st.table, u, r, d, false, 0, a)
			}
			return
		case spread && t.quad(nd, feats):
			gl, gr := nd.left, nd.left+1
			below := append(slices.Clone(feats), nd.feature)
			zl := append(slices.Clone(zs), t.cover[gl]/t.cover[i])
			zr := append(slices.Clone(zs), t.cover[gr]/t.cover[i])
			ul, ur := t.pairTable(gl, zl), t.pairTable(gr, zr)
			rl, rr := ratios(zl), ratios(zr)
			e := entry(i, feats, d+3)
			e.nsel, e.sel = 3, [3]int32{i, gl, gr}
			st.feature = append(append(st.feature, below...), t.nodes[gl].feature, t.nodes[gr].feature)
			var vl, vr []float64
			for state := range 8 {
				g, sl, sr := state>>2, state>>1&1, state&1
				for a := range 1 << d {
					// f is x's own in the subtree it goes to.
					al, ar := a|(1-g)<<d, a|g<<d
					vl = spreadValues(vl[:0], ul, rl, d+1, true, sl, al)
					vr = spreadValues(vr[:0], ur, rr, d+1, true, sr, ar)
					for k := range d + 1 {
						st.table = append(st.table, vl[k]+vr[k])
					}
					st.table = append(st.table, vl[d+1], vr[d+1])
				}
			}
			return
		case t.pair(nd, feats):
			u := t.pairTable(i, zs)
			r := ratios(zs)
			e := entry(i, feats, d+1)
			e.nsel, e.sel[0] = 1, i
			st.feature = append(append(st.feature, feats...), nd.feature)
			if !spread {
				st.ratio = append(st.ratio, r...)
				st.ratio = append(st.ratio, 0) // f's, unused: ratio lines up with feature
				st.table = append(st.table, u...)
				return
			}
			for s := range 2 {
				for a := range 1 << d {
					st.table = spreadValues(st.table, u, r, d, true, s, a)
				}
			}
			return
		}
		k := slices.Index(feats, nd.feature)
		if k < 0 {
			k = d
			feats = append(feats, nd.feature)
			zs = append(zs, 1)
		}
		st.upper = append(st.upper, i)
		st.bit = append(st.bit, uint8(k))
		for _, c := range [...]int32{nd.left, nd.left + 1} {
			czs := slices.Clone(zs)
			czs[k] *= t.cover[c] / t.cover[i]
			walk(c, feats[:len(feats):len(feats)], czs)
		}
	}
	walk(0, nil, nil)
	return st
}

// pairTable returns the compact tables of the pair under split i, V_left,
// V_right, W_left and W_right, 2^d values each, for the d features above
// it passing the shares zs of the cover.
func (t *tree) pairTable(i int32, zs []float64) []float64 {
	nd := t.nodes[i]
	l, r := nd.left, nd.left+1
	zl, zr := t.cover[l]/t.cover[i], t.cover[r]/t.cover[i]
	n := 1 << len(zs)
	ul, ur := make([]float64, 2*n), make([]float64, 2*n)
	leafTable(ul, t.nodes[l].value, append(slices.Clone(zs), zl))
	leafTable(ur, t.nodes[r].value, append(slices.Clone(zs), zr))
	u := make([]float64, 4*n)
	rl, rr := (1-zl)/zl, (1-zr)/zr
	for a := range n {
		u[a] = ul[a|n] + ur[a]
		u[n+a] = ur[a|n] + ul[a]
		u[2*n+a] = rl*ul[a] - ur[a]
		u[3*n+a] = rr*ur[a] - ul[a]
	}
	return u
}

// spreadValues appends the contributions of a leaf (U in u) or a pair (V
// and W in u, going right when s is 1) for pattern a of its d features
// above, of ratios r: d values, and the pair's feature's last.
func spreadValues(dst, u, r []float64, d int, pair bool, s, a int) []float64 {
	n := 1 << d
	v := u[s*n : (s+1)*n]
	for k := range d {
		if a&(1<<k) != 0 {
			dst = append(dst, r[k]*v[a^1<<k])
		} else {
			dst = append(dst, -v[a])
		}
	}
	if pair {
		dst = append(dst, u[(2+s)*n+a])
	}
	return dst
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
	// k-th feature down to node i, for the nodes below the upper splits.
	// Parents come first.
	mask = mask[:len(t.nodes)]
	mask[0] = ^uint32(0)
	for k, i := range st.upper {
		hot := t.next(i, x)
		cold := 2*t.walk[i].right - 1 - hot
		m := mask[i]
		mask[hot] = m
		mask[cold] = m &^ (1 << st.bit[k])
	}
	for i := range st.entries {
		l := &st.entries[i]
		d, w := int(l.d), int(l.width)
		e := int(mask[l.node] & (1<<d - 1))
		state := 0 // which way x goes at the entry's own splits
		for _, j := range l.sel[:l.nsel] {
			state = state<<1 | int(t.next(j, x)-t.walk[j].right+1)
		}
		feats := st.feature[l.first : int(l.first)+w]
		if st.spread {
			i := l.table + (state<<d|e)*w
			vals := st.table[i : i+w]
			for k, f := range feats {
				phi[f] += vals[k]
			}
			continue
		}
		n := 1 << d
		v := st.table[l.table+state*n : l.table+(state+1)*n]
		if l.nsel > 0 { // a pair
			phi[feats[d]] += st.table[l.table+(2+state)*n+e]
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

// blockRows is how many rows ContributionsBlock takes through each tree at
// a time: enough to reuse a tree's tables from cache, few enough that the
// rows' contributions stay in cache too.
const blockRows = 64

// ContributionsBlock writes the contributions of every row of X (rows of
// len(Features()) values, one after the other) to dst, len(Features())+1
// values a row laid out as Contributions gives them, and returns dst. It
// takes a block of rows through each tree before the next tree, so that a
// tree's tables are read from cache once per block rather than once per
// row; the values are Contributions' bit for bit (each row adds the same
// terms in the same order).
func (m *Model) ContributionsBlock(X []float64, dst []float64) []float64 {
	p := len(m.features)
	if p == 0 || len(X)%p != 0 {
		panic(fmt.Sprintf("gbdt: %d feature values are not rows of a model of %d features", len(X), p))
	}
	n := len(X) / p
	if cap(dst) < n*(p+1) {
		dst = make([]float64, n*(p+1))
	}
	dst = dst[:n*(p+1)]
	clear(dst)
	s := m.scratch.Get().(*shapScratch)
	defer m.scratch.Put(s)
	for lo := 0; lo < n; lo += blockRows {
		hi := min(n, lo+blockRows)
		for _, t := range m.trees {
			for r := lo; r < hi; r++ {
				x, phi := X[r*p:(r+1)*p], dst[r*(p+1):(r+1)*(p+1)]
				switch {
				case t.shap != nil:
					t.shap.add(t, x, phi, s.mask)
				case t.depth > 0:
					t.pathContributions(x, phi, s.path)
				}
			}
		}
		for r := lo; r < hi; r++ {
			dst[r*(p+1)+p] = m.expected
		}
	}
	return dst
}
