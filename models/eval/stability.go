package eval

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
)

// PSIBin is one bin of a PSI table. Values in (Lower, Upper] fall in it;
// the first bin's Lower is −Inf and the last finite bin's Upper is +Inf.
// A Missing bin holds the NaN values instead (its bounds are NaN). Shares
// are those the PSI was computed from, smoothed as PSI describes; PSI is
// the bin's term (Actual − Expected)·ln(Actual/Expected) in shares.
type PSIBin struct {
	Lower, Upper  float64
	Missing       bool
	Expected      int
	Actual        int
	ExpectedShare float64
	ActualShare   float64
	PSI           float64
}

// psiBinJSON is PSIBin's encoding: unbounded ends are null.
type psiBinJSON struct {
	Lower         *float64 `json:"lower"`
	Upper         *float64 `json:"upper"`
	Missing       bool     `json:"missing,omitempty"`
	Expected      int      `json:"expected"`
	Actual        int      `json:"actual"`
	ExpectedShare float64  `json:"expected_share"`
	ActualShare   float64  `json:"actual_share"`
	PSI           float64  `json:"psi"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// MarshalJSON writes the bin with null for an unbounded end (and for the
// bounds of the missing bin), since JSON has no infinities.
func (b PSIBin) MarshalJSON() ([]byte, error) {
	return json.Marshal(psiBinJSON{
		Lower: finite(b.Lower), Upper: finite(b.Upper), Missing: b.Missing,
		Expected: b.Expected, Actual: b.Actual,
		ExpectedShare: b.ExpectedShare, ActualShare: b.ActualShare, PSI: b.PSI,
	})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (b *PSIBin) UnmarshalJSON(data []byte) error {
	var v psiBinJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*b = PSIBin{
		Lower: math.Inf(-1), Upper: math.Inf(1), Missing: v.Missing,
		Expected: v.Expected, Actual: v.Actual,
		ExpectedShare: v.ExpectedShare, ActualShare: v.ActualShare, PSI: v.PSI,
	}
	if v.Missing {
		b.Lower, b.Upper = math.NaN(), math.NaN()
	}
	if v.Lower != nil {
		b.Lower = *v.Lower
	}
	if v.Upper != nil {
		b.Upper = *v.Upper
	}
	return nil
}

// DefaultPSIBins is the number of quantile bins PSI cuts when asked for 0.
const DefaultPSIBins = 10

// PSI returns the population stability index of actual against expected
// (the development or reference sample) and its table:
//
//	PSI = Σ (a_i − e_i)·ln(a_i / e_i)    over bins, in shares
//
// Empty bins: a bin empty in either sample would make its term infinite.
// When any bin is empty in either sample, ½ is added to every bin count of
// both samples (the Jeffreys prior's pseudo-count) before taking shares;
// otherwise the shares are the raw ones. This is Credence's one PSI: the
// training report, the reference distributions kept in an artifact, the
// back-test, the server's live PSI and rescoring all compute it here.
//
// Why pseudo-counts rather than a floor on empty shares (0.0001 is
// common): a validator recomputing the PSI needs it to follow from the
// data and the table alone. With no empty bin both give the textbook
// value on raw shares. With an empty bin a floor's term depends on the
// chosen constant: a bin that held 10% and is now empty adds
// 0.1·ln(0.1/ε), which moves by 0.46, across the 0.25 "shifted" line,
// between ε = 10⁻⁴ and 10⁻⁶. Half an observation is instead a statement
// about the sample at hand: an empty bin weighs more in a larger sample,
// where it is stronger evidence of a shift; the smoothed shares still sum
// to one and are the ones the table reports; and it is the same rule as
// IV's and as the Jeffreys interval of the calibration tests.
//
// The bins are cut at the k/bins quantiles (k = 1 … bins−1; bins 0 means
// DefaultPSIBins) of expected's non-NaN values. The quantile is the
// inverted-CDF one (Hyndman-Fan type 1), computed in integers: the sorted
// value at index ⌈n·k/bins⌉ − 1, the smallest value with at least k/bins
// of the sample at or below it. Cut points are values of the sample, so a
// tied or discrete feature (a grade, a flag) gets one bin per value range
// and no bin that is empty by construction: equal cut points merge, and a
// cut at expected's largest value, which would leave nothing above it, is
// dropped. NaN values, in either sample, are a bin of their own, so a
// feature's CSI sees a change in its missing rate. Values may not be
// infinite, and each sample needs at least one value.
func PSI(expected, actual []float64, bins int) (psi float64, table []PSIBin, err error) {
	if bins == 0 {
		bins = DefaultPSIBins
	}
	if bins < 1 {
		return math.NaN(), nil, fmt.Errorf("psi: %d bins", bins)
	}
	if err := checkPSIInput(expected, actual); err != nil {
		return math.NaN(), nil, err
	}
	return PSIFromEdges(expected, actual, QuantileEdges(expected, bins))
}

// QuantileEdges returns the cut points PSI uses for bins quantile bins of
// x's non-NaN values (see PSI); nil when x has no such values or bins < 2.
func QuantileEdges(x []float64, bins int) []float64 {
	return WeightedQuantileEdges(x, nil, bins)
}

// WeightedQuantileEdges is QuantileEdges with each value weighing w[i]
// (w nil: every value weighs 1, and the result is QuantileEdges'): cut k
// is the smallest value with at least k/bins of the weight at or below
// it, so a value of weight k cuts as k copies of it would. Values without
// weight are left out; nil when none has weight. w must be as long as x,
// its weights finite and non-negative.
func WeightedQuantileEdges(x, w []float64, bins int) []float64 {
	type point struct{ v, w float64 }
	sorted := make([]point, 0, len(x))
	var total float64
	for i, v := range x {
		if wi := weightAt(w, i); !math.IsNaN(v) && wi > 0 {
			sorted = append(sorted, point{v, wi})
			total += wi
		}
	}
	if len(sorted) == 0 {
		return nil
	}
	slices.SortFunc(sorted, func(a, b point) int { return cmp.Compare(a.v, b.v) })
	top := sorted[len(sorted)-1].v
	var edges []float64
	j, below := 0, sorted[0].w // below: the weight of sorted[:j+1]
	for k := 1; k < bins; k++ {
		// Comparing below·bins with total·k keeps unit weights in
		// integers, exact, as the unweighted quantile is.
		for below*float64(bins) < total*float64(k) && j < len(sorted)-1 {
			j++
			below += sorted[j].w
		}
		e := sorted[j].v
		if e < top && (len(edges) == 0 || e > edges[len(edges)-1]) {
			edges = append(edges, e)
		}
	}
	return edges
}

// PSIFromEdges is PSI with fixed cut points: edges, strictly increasing
// and finite, cut the line into len(edges)+1 bins (−Inf, e₀], (e₀, e₁],
// …, (e_last, +Inf), plus a missing bin when either sample has NaN values.
// Empty bins are smoothed as PSI says.
func PSIFromEdges(expected, actual, edges []float64) (psi float64, table []PSIBin, err error) {
	if err := checkPSIInput(expected, actual); err != nil {
		return math.NaN(), nil, err
	}
	if err := checkEdges(edges); err != nil {
		return math.NaN(), nil, err
	}
	exp, act := binCounts(expected, edges), binCounts(actual, edges)
	psi, table = psiTable(exp, act, edges)
	return psi, table, nil
}

// PSIFromShares is PSIFromEdges for an expected distribution kept as its
// shares rather than its values, as a model artifact keeps the training
// distribution of its score and features: shares[i] of bin i of edges
// (len(edges)+1 of them) and missing of the missing bin. Without counts,
// the expected distribution counts as a sample as large as actual when
// empty bins are smoothed, so that on either side an empty bin weighs
// half of one of actual's observations; the table's Expected counts are
// the shares of that size, rounded.
func PSIFromShares(edges, shares []float64, missing float64, actual []float64) (psi float64, table []PSIBin, err error) {
	if len(shares) != len(edges)+1 {
		return math.NaN(), nil, fmt.Errorf("psi: %d shares for %d edges; want %d", len(shares), len(edges), len(edges)+1)
	}
	for _, e := range append(slices.Clone(shares), missing) {
		if !(e >= 0 && e <= 1) {
			return math.NaN(), nil, fmt.Errorf("psi: expected shares %v (missing %v) are not in [0, 1]", shares, missing)
		}
	}
	if err := checkPSIInput([]float64{0}, actual); err != nil {
		return math.NaN(), nil, err
	}
	if err := checkEdges(edges); err != nil {
		return math.NaN(), nil, err
	}
	return psiFromCounts(edges, shares, missing, binCounts(actual, edges))
}

// BinCounts counts values into the bins of edges, as PSIFromShares does,
// the missing (NaN) bin last. The counts of a sample's parts add up to the
// counts of the sample.
func BinCounts(values, edges []float64) []float64 { return binCounts(values, edges) }

// PSIFromCounts is PSIFromShares of a sample given by its BinCounts, so
// that a sample counted in parts, on several machines, has the PSI of the
// whole without its values being gathered.
func PSIFromCounts(edges, shares []float64, missing float64, counts []float64) (psi float64, table []PSIBin, err error) {
	if len(shares) != len(edges)+1 || len(counts) != len(edges)+2 {
		return math.NaN(), nil, fmt.Errorf("psi: %d shares and %d counts for %d edges; want %d and %d", len(shares), len(counts), len(edges), len(edges)+1, len(edges)+2)
	}
	for _, e := range append(slices.Clone(shares), missing) {
		if !(e >= 0 && e <= 1) {
			return math.NaN(), nil, fmt.Errorf("psi: expected shares %v (missing %v) are not in [0, 1]", shares, missing)
		}
	}
	n := 0.0
	for _, c := range counts {
		if !(c >= 0) || math.IsInf(c, 0) {
			return math.NaN(), nil, fmt.Errorf("psi: bin counts %v are not finite and non-negative", counts)
		}
		n += c
	}
	if n == 0 {
		return math.NaN(), nil, fmt.Errorf("psi: no actual values")
	}
	if err := checkEdges(edges); err != nil {
		return math.NaN(), nil, err
	}
	return psiFromCounts(edges, shares, missing, counts)
}

func psiFromCounts(edges, shares []float64, missing float64, counts []float64) (float64, []PSIBin, error) {
	n := 0.0
	for _, c := range counts {
		n += c
	}
	exp := make([]float64, len(shares)+1)
	for i, e := range shares {
		exp[i] = e * n
	}
	exp[len(shares)] = missing * n
	psi, table := psiTable(exp, counts, edges)
	return psi, table, nil
}

func checkEdges(edges []float64) error {
	for i, e := range edges {
		if math.IsNaN(e) || math.IsInf(e, 0) || (i > 0 && !(e > edges[i-1])) {
			return fmt.Errorf("psi: edges %v are not finite and strictly increasing", edges)
		}
	}
	return nil
}

// binCounts counts values into the bins of edges, the missing bin last.
func binCounts(values, edges []float64) []float64 {
	counts := make([]float64, len(edges)+2)
	for _, v := range values {
		if math.IsNaN(v) {
			counts[len(edges)+1]++
		} else {
			counts[sort.SearchFloat64s(edges, v)]++
		}
	}
	return counts
}

// psiTable is the PSI formula, with its smoothing of empty bins (see PSI),
// over the counts of two samples binned by edges, the missing bin last;
// the missing bin is left out when both samples have none.
func psiTable(exp, act, edges []float64) (psi float64, table []PSIBin) {
	missing := len(edges) + 1
	if exp[missing] == 0 && act[missing] == 0 {
		exp, act = exp[:missing], act[:missing]
	}
	smooth := 0.0
	for i := range exp {
		if exp[i] == 0 || act[i] == 0 {
			smooth = 0.5
		}
	}
	nBins := float64(len(exp))
	var ne, na float64
	for i := range exp {
		ne += exp[i]
		na += act[i]
	}
	te, ta := ne+smooth*nBins, na+smooth*nBins
	table = make([]PSIBin, len(exp))
	for i := range exp {
		e := (exp[i] + smooth) / te
		a := (act[i] + smooth) / ta
		b := PSIBin{
			Expected: int(math.Round(exp[i])), Actual: int(math.Round(act[i])),
			ExpectedShare: e, ActualShare: a,
			PSI: (a - e) * math.Log(a/e),
		}
		switch {
		case i == missing:
			b.Lower, b.Upper, b.Missing = math.NaN(), math.NaN(), true
		default:
			b.Lower, b.Upper = math.Inf(-1), math.Inf(1)
			if i > 0 {
				b.Lower = edges[i-1]
			}
			if i < len(edges) {
				b.Upper = edges[i]
			}
		}
		table[i] = b
		psi += b.PSI
	}
	return psi, table
}

func checkPSIInput(expected, actual []float64) error {
	if len(expected) == 0 || len(actual) == 0 {
		return fmt.Errorf("psi: %d expected and %d actual values; need both", len(expected), len(actual))
	}
	for _, s := range [][]float64{expected, actual} {
		for i, v := range s {
			if math.IsInf(v, 0) {
				return fmt.Errorf("psi: value %d is infinite", i+1)
			}
		}
	}
	return nil
}

// Stability bands a PSI as the industry reads it: "stable" below 0.10,
// "investigate" from 0.10 to below 0.25, "shifted" from 0.25; "unknown"
// for NaN.
func Stability(psi float64) string {
	switch {
	case math.IsNaN(psi):
		return "unknown"
	case psi < 0.10:
		return "stable"
	case psi < 0.25:
		return "investigate"
	default:
		return "shifted"
	}
}

// Herfindahl returns the Herfindahl-Hirschman index of the grade
// distribution, Σ s_g² over the grades present, s_g the share of rows in
// grade g: 1/K when K grades are equally used, 1 when all rows share one
// grade. NaN for no rows.
func Herfindahl(grades []int) float64 {
	if len(grades) == 0 {
		return math.NaN()
	}
	counts := map[int]int{}
	for _, g := range grades {
		counts[g]++
	}
	n := float64(len(grades))
	var h float64
	for _, c := range counts {
		s := float64(c) / n
		h += s * s
	}
	return h
}

// HerfindahlECB returns the concentration measures of the ECB's 2019
// instructions ("concentration in rating grades") for a scale of k grades
// numbered 1 to k, with R_i the share of rows in grade i (empty grades
// count, as zeros):
//
//	CV = √(k · Σ (R_i − 1/k)²)
//	HI = 1 + ln((CV² + 1)/k) / ln k
//
// HI is the Herfindahl index rescaled to [0, 1]: 0 when every grade holds
// 1/k of the rows, 1 when one grade holds them all (it equals
// 1 + ln(HHI)/ln k). NaN when k < 2, there are no rows, or a grade is
// outside 1 to k.
func HerfindahlECB(grades []int, k int) (cv, hi float64) {
	if k < 2 || len(grades) == 0 {
		return math.NaN(), math.NaN()
	}
	counts := make([]int, k+1)
	for _, g := range grades {
		if g < 1 || g > k {
			return math.NaN(), math.NaN()
		}
		counts[g]++
	}
	n, kf := float64(len(grades)), float64(k)
	var ss float64
	for _, c := range counts[1:] {
		d := float64(c)/n - 1/kf
		ss += d * d
	}
	cv = math.Sqrt(kf * ss)
	hi = 1 + math.Log((cv*cv+1)/kf)/math.Log(kf)
	return cv, hi
}

// IV returns the information value of a binned feature:
//
//	WoE_b = ln(%good_b / %bad_b),   IV = Σ (%good_b − %bad_b)·WoE_b
//
// with %good_b the share of all non-defaults that fall in bin b and %bad_b
// that of all defaults (the scorecard convention, where a positive WoE
// marks a safer bin). When a bin has no goods or no bads, ½ is added to
// the goods and bads of every bin before taking shares, as PSI does. Bins
// are any integers. NaN for invalid input or a sample without both
// classes.
func IV(y []float64, bins []int) float64 {
	if len(bins) != len(y) {
		return math.NaN()
	}
	type gb struct{ good, bad float64 }
	by := map[int]*gb{}
	var goods, bads float64
	for i, v := range y {
		c := by[bins[i]]
		if c == nil {
			c = &gb{}
			by[bins[i]] = c
		}
		switch v {
		case 0:
			c.good++
			goods++
		case 1:
			c.bad++
			bads++
		default:
			return math.NaN()
		}
	}
	if goods == 0 || bads == 0 {
		return math.NaN()
	}
	keys := make([]int, 0, len(by))
	smooth := 0.0
	for b, c := range by {
		keys = append(keys, b)
		if c.good == 0 || c.bad == 0 {
			smooth = 0.5
		}
	}
	slices.Sort(keys) // a fixed summation order
	k := float64(len(keys))
	goods += smooth * k
	bads += smooth * k
	var iv float64
	for _, b := range keys {
		c := by[b]
		g, d := (c.good+smooth)/goods, (c.bad+smooth)/bads
		iv += (g - d) * math.Log(g/d)
	}
	return iv
}
