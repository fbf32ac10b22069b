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

// NewBinned bins x by its own deciles, each value weighing w[i] (w nil:
// every value weighs 1): on a weighted sample the edges and the shares
// are those of the population it stands for.
func NewBinned(x, w []float64) Binned {
	b := Binned{Edges: eval.WeightedQuantileEdges(x, w, referenceBins)}
	if b.Edges == nil {
		b.Edges = []float64{}
	}
	b.Shares, b.Missing = b.shares(x, w)
	return b
}

// shares returns the (weighted) share of x in each bin and the missing
// share; all 0 when x has no weight.
func (b Binned) shares(x, w []float64) ([]float64, float64) {
	counts := make([]float64, len(b.Edges)+1)
	var missing, total float64
	for i, v := range x {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		total += wi
		if math.IsNaN(v) {
			missing += wi
			continue
		}
		k, _ := slices.BinarySearch(b.Edges, v)
		counts[k] += wi
	}
	if total == 0 {
		return counts, 0
	}
	for k := range counts {
		counts[k] /= total
	}
	return counts, missing / total
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
// of a sample, weighted by the sample's W (nil: every row weighs 1);
// training keeps that of its training part in the artifact.
func NewReference(s *Sample, pd []float64) Reference {
	r := Reference{PD: NewBinned(pd, s.W), Features: map[string]Binned{}}
	for j, name := range s.X.Names {
		r.Features[name] = NewBinned(s.Column(j), s.W)
	}
	return r
}
