package backtest

import (
	"math"
	"slices"

	"github.com/credence-risk/credence/models/eval"
)

// Binned is a distribution kept in a model artifact so that later samples
// can be compared with training (PSI) without the training data: decile
// edges of the training values, the share of training values in each bin
// (values in (edges[k−1], edges[k]], the last bin open above) and the
// share of missing values.
type Binned struct {
	Edges   []float64 `json:"edges"`
	Shares  []float64 `json:"shares"`
	Missing float64   `json:"missing"`
}

// Reference holds the training distributions of the score and of every
// feature.
type Reference struct {
	PD       Binned            `json:"pd"`
	Features map[string]Binned `json:"features"`
}

// referenceBins is the number of quantile bins of a reference.
const referenceBins = 10

// NewBinned bins x by its own deciles.
func NewBinned(x []float64) Binned {
	b := Binned{Edges: eval.QuantileEdges(x, referenceBins)}
	if b.Edges == nil {
		b.Edges = []float64{}
	}
	b.Shares, b.Missing = b.shares(x)
	return b
}

// shares returns the share of x in each bin and the missing share.
func (b Binned) shares(x []float64) ([]float64, float64) {
	counts := make([]float64, len(b.Edges)+1)
	missing := 0.0
	for _, v := range x {
		if math.IsNaN(v) {
			missing++
			continue
		}
		k, _ := slices.BinarySearch(b.Edges, v)
		counts[k]++
	}
	n := float64(max(len(x), 1))
	for k := range counts {
		counts[k] /= n
	}
	return counts, missing / n
}

// PSI compares x with the reference (eval.PSIFromShares: the one PSI,
// with its smoothing of empty bins); NaN when x is empty or the reference
// holds no distribution.
func (b Binned) PSI(x []float64) float64 {
	psi, _ := b.Compare(x)
	return psi
}

// Compare is PSI with its table: each bin's bounds and the smoothed shares
// the PSI was computed from. NaN and no table when x is empty or the
// reference holds no distribution.
func (b Binned) Compare(x []float64) (float64, []eval.PSIBin) {
	if len(x) == 0 || len(b.Shares) == 0 {
		return math.NaN(), nil
	}
	psi, table, err := eval.PSIFromShares(b.Edges, b.Shares, b.Missing, x)
	if err != nil {
		return math.NaN(), nil
	}
	return psi, table
}

// Counts bins x for CompareCounts; the counts of parts of a sample add up.
func (b Binned) Counts(x []float64) []float64 { return eval.BinCounts(x, b.Edges) }

// CompareCounts is Compare of a sample given by its Counts.
func (b Binned) CompareCounts(counts []float64) (float64, []eval.PSIBin) {
	if len(b.Shares) == 0 {
		return math.NaN(), nil
	}
	psi, table, err := eval.PSIFromCounts(b.Edges, b.Shares, b.Missing, counts)
	if err != nil {
		return math.NaN(), nil
	}
	return psi, table
}

// NewReference records the distributions of the PDs and of every feature
// of a sample; training keeps that of its training part in the artifact.
func NewReference(s *Sample, pd []float64) Reference {
	r := Reference{PD: NewBinned(pd), Features: map[string]Binned{}}
	for j, name := range s.X.Names {
		r.Features[name] = NewBinned(s.Column(j))
	}
	return r
}
