package gbdt

import (
	"cmp"
	"math/rand/v2"
	"slices"

	"github.com/credence-risk/credence/models"
)

// cutSampleRows bounds the rows the quantile cut points are taken from;
// beyond it a seeded sample of about this many rows stands for the whole
// matrix (bins of 1/255 of the weight are well placed by 200,000 rows).
const cutSampleRows = 200_000

// binned is the training matrix cut into quantile bins, stored
// column-major so that a histogram pass over a feature reads one
// contiguous column of one or two bytes per row.
type binned struct {
	rows, cols int
	cuts       [][]float64 // per feature, ascending: a value's bin is the number of cuts ≤ it
	nbins      []int       // value bins per feature, len(cuts)+1; NaN's bin is nbins itself
	missing    []bool      // per feature: some training value is NaN
	bins8      []uint8     // when every bin index fits a byte
	bins16     []uint16    // otherwise
	offset     []int       // per feature: its first slot in a histogram
	slots      int         // histogram length
}

// narrow reports whether bins fit one byte; a feature's histogram then
// has 256 slots, so indexing it with a byte needs no bounds check.
func (b *binned) narrow() bool { return b.bins16 == nil }

func (b *binned) col8(j int) []uint8   { return b.bins8[j*b.rows : (j+1)*b.rows : (j+1)*b.rows] }
func (b *binned) col16(j int) []uint16 { return b.bins16[j*b.rows : (j+1)*b.rows : (j+1)*b.rows] }

// bin returns the bin of row i in feature j.
func (b *binned) bin(j, i int) int {
	if b.narrow() {
		return int(b.bins8[j*b.rows+i])
	}
	return int(b.bins16[j*b.rows+i])
}

// newBinned cuts X into at most maxBins−1 weighted-quantile bins per
// feature plus one for NaN.
func newBinned(X *models.Matrix, w []float64, maxBins int, seed uint64, workers int) *binned {
	n, p := X.Rows, X.Cols
	b := &binned{
		rows: n, cols: p,
		cuts:    make([][]float64, p),
		nbins:   make([]int, p),
		missing: make([]bool, p),
		offset:  make([]int, p),
	}
	sample := cutRows(n, seed)
	m := len(sample)
	// Transpose the sample once so that each feature's values are read
	// from one contiguous run rather than a stride of the whole row.
	cols := make([]float64, m*p)
	for k, i := range sample {
		row := X.Row(i)
		for j, v := range row {
			cols[j*m+k] = v
		}
	}
	var sw []float64
	if w != nil {
		sw = make([]float64, m)
		for k, i := range sample {
			sw[k] = w[i]
		}
	}
	forEach(workers, p, func(j int) {
		b.cuts[j] = quantileCuts(cols[j*m:(j+1)*m], sw, maxBins-1)
		b.nbins[j] = len(b.cuts[j]) + 1
	})
	if maxBins <= 256 {
		b.bins8 = make([]uint8, n*p)
		for j := range p {
			b.offset[j] = 256 * j
		}
		b.slots = 256 * p
	} else {
		b.bins16 = make([]uint16, n*p)
		for j := range p {
			b.offset[j] = b.slots
			b.slots += b.nbins[j] + 1
		}
	}
	// Blocks of rows small enough to stay in cache while every feature
	// bins them, one feature at a time: the searches of one feature have
	// the same length, so the processor overlaps them.
	const block = 1024
	blocks := (n + block - 1) / block
	missing := make([][]bool, blocks)
	forEach(workers, blocks, func(k int) {
		lo, hi := k*block, min((k+1)*block, n)
		seen := make([]bool, p)
		for j, cuts := range b.cuts {
			nan := b.nbins[j]
			for i := lo; i < hi; i++ {
				v := X.Data[i*p+j]
				bin := nan
				if v == v {
					bin = upperBound(cuts, v)
				} else {
					seen[j] = true
				}
				if b.bins8 != nil {
					b.bins8[j*n+i] = uint8(bin)
				} else {
					b.bins16[j*n+i] = uint16(bin)
				}
			}
		}
		missing[k] = seen
	})
	for _, seen := range missing {
		for j, s := range seen {
			b.missing[j] = b.missing[j] || s
		}
	}
	return b
}

// cutRows returns the rows the cut points are taken from: all of them,
// or a seeded Bernoulli sample of about cutSampleRows.
func cutRows(n int, seed uint64) []int {
	if n <= cutSampleRows {
		rows := make([]int, n)
		for i := range rows {
			rows[i] = i
		}
		return rows
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	p := float64(cutSampleRows) / float64(n)
	rows := make([]int, 0, cutSampleRows+cutSampleRows/8)
	for i := range n {
		if rng.Float64() < p {
			rows = append(rows, i)
		}
	}
	return rows
}

// upperBound returns the number of cuts ≤ v. The halving is branch-free:
// which half holds v is as good as random to the branch predictor.
func upperBound(cuts []float64, v float64) int {
	lo, n := 0, len(cuts)
	for n > 1 {
		half := n / 2
		lo += half & -b2i(cuts[lo+half-1] <= v)
		n -= half
	}
	if n == 1 {
		lo += b2i(cuts[lo] <= v)
	}
	return lo
}

// quantileCuts returns at most maxBins−1 ascending cut points that split
// the non-missing values into bins of about equal weight. With no more
// distinct values than maxBins every value gets its own bin. A cut is
// always a value that occurs, the least of the bin it opens, as in
// XGBoost, so a split "x < cut" separates exactly the training rows its
// bins hold.
func quantileCuts(vals, w []float64, maxBins int) []float64 {
	// The non-missing values, ascending, with their weights (nil: 1 each).
	vs := make([]float64, 0, len(vals))
	var ws []float64
	if w == nil {
		for _, v := range vals {
			if v == v {
				vs = append(vs, v)
			}
		}
		// A plain float sort: several times faster than sorting pairs.
		slices.Sort(vs)
	} else {
		type entry struct{ v, w float64 }
		es := make([]entry, 0, len(vals))
		for k, v := range vals {
			if v == v {
				es = append(es, entry{v, w[k]})
			}
		}
		slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.v, b.v) })
		ws = make([]float64, len(es))
		for k, e := range es {
			vs = append(vs, e.v)
			ws[k] = e.w
		}
	}
	if len(vs) == 0 {
		return nil
	}
	distinct, total := 1, 0.0
	for k, v := range vs {
		if k > 0 && v != vs[k-1] {
			distinct++
		}
		total += weight(ws, k)
	}
	if distinct <= maxBins {
		cuts := make([]float64, 0, distinct-1)
		for k, v := range vs {
			if k > 0 && v != vs[k-1] {
				cuts = append(cuts, v)
			}
		}
		return cuts
	}
	// Close a bin once it holds its share of the weight not yet binned,
	// so that a heavy value (a mass of zeros, say) that overfills its bin
	// leaves the rest to be shared by the bins that remain.
	cuts := make([]float64, 0, maxBins-1)
	var left, start float64 // weight below the current value, below the current bin
	for k, v := range vs {
		if k > 0 && v != vs[k-1] && left-start >= (total-start)/float64(maxBins-len(cuts)) {
			cuts = append(cuts, v)
			start = left
			if len(cuts) == maxBins-1 {
				break
			}
		}
		left += weight(ws, k)
	}
	return cuts
}
