package eval

import (
	"fmt"
	"math"
	"slices"
)

// ClusteredDeLong returns the AUC and its standard error when rows come in
// clusters that are not independent of one another, such as the monthly
// rows of one customer in a panel: the nonparametric estimator of
// Obuchowski (1997), DeLong's with the structural components summed per
// cluster. With cluster[i] naming row i's cluster, m_c defaults and n_c
// non-defaults in cluster c, M and N in all, V10 and V01 DeLong's
// components (see DeLong) and their sums per cluster V10_c, V01_c:
//
//	S10 = I10/((I10−1)·M) · Σ_c (V10_c − m_c·AUC)²      I10 clusters with a default
//	S01 = I01/((I01−1)·N) · Σ_c (V01_c − n_c·AUC)²      I01 clusters with a non-default
//	S11 = I/(I−1) · Σ_c (V10_c − m_c·AUC)(V01_c − n_c·AUC)
//	se² = S10/M + S01/N + 2·S11/(M·N)
//
// When every cluster holds one row it is DeLong's standard error. A nil
// cluster makes every row its own. The standard error is NaN when fewer
// than two clusters hold a default or a non-default; both are NaN for
// invalid input.
func ClusteredDeLong(y, score []float64, cluster []string) (auc, se float64) {
	c, err := newClustering(y, cluster)
	if err != nil {
		return math.NaN(), math.NaN()
	}
	v, auc, err := structuralComponents(y, score)
	if err != nil {
		return math.NaN(), math.NaN()
	}
	return auc, math.Sqrt(c.covariance(y, v, v, auc, auc))
}

// PairedDeLong returns AUC(a) − AUC(b) on the same rows and the standard
// error of the difference: var(AUC a) + var(AUC b) − 2·cov, the
// covariance from the two scores' structural components as DeLong,
// DeLong & Clarke-Pearson (1988) give it, summed per cluster as in
// ClusteredDeLong; a nil cluster makes every row its own. NaN for
// invalid input.
func PairedDeLong(y, a, b []float64, cluster []string) (diff, se float64) {
	c, err := newClustering(y, cluster)
	if err != nil {
		return math.NaN(), math.NaN()
	}
	va, aucA, errA := structuralComponents(y, a)
	vb, aucB, errB := structuralComponents(y, b)
	if errA != nil || errB != nil {
		return math.NaN(), math.NaN()
	}
	v := c.covariance(y, va, va, aucA, aucA) + c.covariance(y, vb, vb, aucB, aucB) - 2*c.covariance(y, va, vb, aucA, aucB)
	// Rounding can leave a tiny negative for two near-identical rankings.
	return aucA - aucB, math.Sqrt(max(v, 0))
}

// AUCIntervalClustered is AUCInterval with the standard error of
// ClusteredDeLong.
func AUCIntervalClustered(y, score []float64, cluster []string, level float64) (lo, hi float64) {
	auc, se := ClusteredDeLong(y, score, cluster)
	return interval(auc, se, level)
}

// structuralComponents returns, in row order, each default's share of
// non-defaults it outranks (V10) and each non-default's share of
// defaults that outrank it (V01), ties counting half, and the AUC.
func structuralComponents(y, score []float64) (v []float64, auc float64, err error) {
	r, err := newRanking(y, score)
	if err != nil {
		return nil, math.NaN(), err
	}
	m, n := len(r.pos), len(r.neg)
	v = make([]float64, len(y))
	for i, s := range score {
		if y[i] == 1 {
			lt, eq := countBelow(r.neg, s)
			v[i] = (float64(lt) + float64(eq)/2) / float64(n)
		} else {
			lt, eq := countBelow(r.pos, s)
			v[i] = (float64(m-lt-eq) + float64(eq)/2) / float64(m)
		}
	}
	return v, r.auc(), nil
}

// countBelow returns how many of sorted are below x and how many equal it.
func countBelow(sorted []float64, x float64) (lt, eq int) {
	lt, _ = slices.BinarySearch(sorted, x)
	le := lt
	for le < len(sorted) && sorted[le] == x {
		le++
	}
	return lt, le - lt
}

// clustering is each row's cluster as a dense index.
type clustering struct {
	of []int
	n  int
}

func newClustering(y []float64, cluster []string) (clustering, error) {
	of := make([]int, len(y))
	if cluster == nil {
		for i := range of {
			of[i] = i
		}
		return clustering{of: of, n: len(y)}, nil
	}
	if len(cluster) != len(y) {
		return clustering{}, fmt.Errorf("eval: %d clusters for %d labels", len(cluster), len(y))
	}
	index := map[string]int{}
	for i, id := range cluster {
		k, ok := index[id]
		if !ok {
			k = len(index)
			index[id] = k
		}
		of[i] = k
	}
	return clustering{of: of, n: len(index)}, nil
}

// covariance is cov(AUC a, AUC b) from the structural components va, vb
// of two scores on the same rows (ClusteredDeLong's estimator; with a
// equal to b, the variance).
func (c clustering) covariance(y, va, vb []float64, aucA, aucB float64) float64 {
	// Per cluster: defaults, non-defaults, and each score's V10 and V01 sums.
	type sums struct{ m, n, a10, a01, b10, b01 float64 }
	per := make([]sums, c.n)
	var M, N float64
	for i, k := range c.of {
		s := &per[k]
		if y[i] == 1 {
			s.m++
			s.a10 += va[i]
			s.b10 += vb[i]
			M++
		} else {
			s.n++
			s.a01 += va[i]
			s.b01 += vb[i]
			N++
		}
	}
	var s10, s01, s11, i10, i01 float64
	for _, s := range per {
		da10, db10 := s.a10-s.m*aucA, s.b10-s.m*aucB
		da01, db01 := s.a01-s.n*aucA, s.b01-s.n*aucB
		s10 += da10 * db10
		s01 += da01 * db01
		s11 += da10*db01 + db10*da01
		if s.m > 0 {
			i10++
		}
		if s.n > 0 {
			i01++
		}
	}
	if i10 < 2 || i01 < 2 {
		return math.NaN()
	}
	I := float64(c.n)
	s10 *= i10 / ((i10 - 1) * M)
	s01 *= i01 / ((i01 - 1) * N)
	s11 *= I / (I - 1)
	// s11 holds both cross terms (a's V10 with b's V01 and b's with a's):
	// for a = b, 2·S11.
	return s10/M + s01/N + s11/(M*N)
}
