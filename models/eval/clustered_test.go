package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// bruteClusteredVar computes Obuchowski's variance of the AUC, and the
// covariance of two scores' AUCs, pair by pair from the definition:
// ψ(x, y) = 1, ½ or 0 for every default x against every non-default y,
// each cluster's components summed over its own rows against all others.
func bruteClusteredCov(y, a, b []float64, cluster []string) float64 {
	psi := func(s []float64, i, j int) float64 {
		switch {
		case s[i] > s[j]:
			return 1
		case s[i] == s[j]:
			return 0.5
		}
		return 0
	}
	var M, N float64
	for _, v := range y {
		if v == 1 {
			M++
		} else {
			N++
		}
	}
	auc := func(s []float64) float64 {
		var sum float64
		for i := range y {
			for j := range y {
				if y[i] == 1 && y[j] == 0 {
					sum += psi(s, i, j)
				}
			}
		}
		return sum / (M * N)
	}
	A, B := auc(a), auc(b)
	ids := map[string]bool{}
	for _, c := range cluster {
		ids[c] = true
	}
	var s10, s01, s11, i10, i01 float64
	for id := range ids {
		var m, n, a10, a01, b10, b01 float64
		for i := range y {
			if cluster[i] != id {
				continue
			}
			for j := range y {
				switch {
				case y[i] == 1 && y[j] == 0:
					a10 += psi(a, i, j) / N
					b10 += psi(b, i, j) / N
				case y[i] == 0 && y[j] == 1:
					a01 += psi(a, j, i) / M
					b01 += psi(b, j, i) / M
				}
			}
			if y[i] == 1 {
				m++
			} else {
				n++
			}
		}
		if m > 0 {
			i10++
		}
		if n > 0 {
			i01++
		}
		s10 += (a10 - m*A) * (b10 - m*B)
		s01 += (a01 - n*A) * (b01 - n*B)
		s11 += (a10-m*A)*(b01-n*B) + (b10-m*B)*(a01-n*A)
	}
	I := float64(len(ids))
	return i10/((i10-1)*M)*s10/M + i01/((i01-1)*N)*s01/N + I/(I-1)*s11/(M*N)
}

// panel draws customers with a few rows each, whose scores and labels
// share a customer effect, so rows of one customer are correlated.
func panel(r *rand.Rand, customers, rows int) (y, a, b []float64, cluster []string) {
	for c := range customers {
		effect := r.NormFloat64()
		for range 1 + r.IntN(rows) {
			p := 1 / (1 + math.Exp(2-2*effect))
			lab := 0.0
			if r.Float64() < p {
				lab = 1
			}
			y = append(y, lab)
			a = append(a, math.Round(4*(effect+0.5*r.NormFloat64()))/4) // ties on purpose
			b = append(b, effect/2+lab/2+r.NormFloat64())
			cluster = append(cluster, fmt.Sprintf("C%d", c))
		}
	}
	return y, a, b, cluster
}

func TestClusteredDeLongMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	y, a, b, cluster := panel(r, 60, 5)
	for name, s := range map[string][]float64{"a": a, "b": b} {
		auc, se := ClusteredDeLong(y, s, cluster)
		want := bruteClusteredCov(y, s, s, cluster)
		if math.Abs(se*se-want) > 1e-12 || math.Abs(auc-bruteAUC(y, s, nil)) > 1e-12 {
			t.Errorf("%s: auc, se² = %v, %v; want %v, %v", name, auc, se*se, bruteAUC(y, s, nil), want)
		}
	}
	d, se := PairedDeLong(y, a, b, cluster)
	want := bruteClusteredCov(y, a, a, cluster) + bruteClusteredCov(y, b, b, cluster) - 2*bruteClusteredCov(y, a, b, cluster)
	if math.Abs(se*se-want) > 1e-12 || math.Abs(d-(bruteAUC(y, a, nil)-bruteAUC(y, b, nil))) > 1e-12 {
		t.Errorf("paired: diff, se² = %v, %v; want se² %v", d, se*se, want)
	}
}

// With one row per cluster the clustered estimator is DeLong's, and the
// paired one DeLong, DeLong & Clarke-Pearson's.
func TestClusteredDeLongSingletonsArePlain(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	y, a, b, _ := panel(r, 400, 1)
	ids := make([]string, len(y))
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	for _, s := range [][]float64{a, b} {
		wantAUC, wantSE := DeLong(y, s)
		for _, cluster := range [][]string{nil, ids} {
			auc, se := ClusteredDeLong(y, s, cluster)
			if auc != wantAUC || math.Abs(se-wantSE) > 1e-12 {
				t.Errorf("ClusteredDeLong = %v, %v; want DeLong's %v, %v", auc, se, wantAUC, wantSE)
			}
		}
	}
	// The paired variance against brute force with every row its own
	// cluster: DeLong's covariance of the components.
	_, se := PairedDeLong(y, a, b, nil)
	want := bruteClusteredCov(y, a, a, ids) + bruteClusteredCov(y, b, b, ids) - 2*bruteClusteredCov(y, a, b, ids)
	if math.Abs(se*se-want) > 1e-12 {
		t.Errorf("PairedDeLong se² = %v; want %v", se*se, want)
	}
	if d, se := PairedDeLong(y, a, a, nil); d != 0 || se != 0 {
		t.Errorf("a score against itself: %v, %v; want 0, 0", d, se)
	}
}

// Every row written twice in its own cluster carries no more information
// than the rows once: the clustered standard error of the doubled sample
// is DeLong's of the original, while DeLong's of the doubled sample is
// about 1/√2 of it.
func TestClusteredDeLongDuplicatedRows(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	y, a, _, _ := panel(r, 300, 1)
	var y2, a2 []float64
	var c2 []string
	for i := range y {
		for range 2 {
			y2, a2, c2 = append(y2, y[i]), append(a2, a[i]), append(c2, fmt.Sprint(i))
		}
	}
	_, want := DeLong(y, a)
	if _, se := ClusteredDeLong(y2, a2, c2); math.Abs(se-want) > 1e-12 {
		t.Errorf("clustered se of doubled rows = %v; want %v", se, want)
	}
	if _, se := DeLong(y2, a2); math.Abs(se*math.Sqrt2-want) > 0.02*want {
		t.Errorf("DeLong se of doubled rows = %v; want about %v", se, want/math.Sqrt2)
	}
}

// On simulated panels whose rows share a customer effect, the clustered
// standard error matches the AUC's spread across samples; DeLong's,
// treating rows as independent, understates it.
func TestClusteredDeLongCoversPanels(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const sims = 300
	var aucs []float64
	var seC, seP float64
	for range sims {
		y, a, _, cluster := panel(r, 150, 8)
		auc, se := ClusteredDeLong(y, a, cluster)
		_, plain := DeLong(y, a)
		aucs = append(aucs, auc)
		seC += se / sims
		seP += plain / sims
	}
	var mean, sd float64
	for _, v := range aucs {
		mean += v / sims
	}
	for _, v := range aucs {
		sd += (v - mean) * (v - mean) / (sims - 1)
	}
	sd = math.Sqrt(sd)
	t.Logf("spread of the AUC %.4f; mean se: clustered %.4f, DeLong %.4f", sd, seC, seP)
	if math.Abs(seC/sd-1) > 0.15 {
		t.Errorf("mean clustered se %.4f; spread of the AUC %.4f", seC, sd)
	}
	if seP > 0.85*sd {
		t.Errorf("mean DeLong se %.4f not below the spread %.4f: the panel is not correlated enough to test anything", seP, sd)
	}
}

func TestClusteredDeLongInvalid(t *testing.T) {
	if auc, se := ClusteredDeLong([]float64{0, 1}, []float64{0.1, 0.2}, []string{"a"}); !math.IsNaN(auc) || !math.IsNaN(se) {
		t.Errorf("clusters of the wrong length: %v, %v; want NaN", auc, se)
	}
	// Both defaults in one customer: no spread between customers to estimate.
	if _, se := ClusteredDeLong([]float64{1, 1, 0, 0}, []float64{0.3, 0.4, 0.1, 0.2}, []string{"a", "a", "b", "c"}); !math.IsNaN(se) {
		t.Errorf("one cluster with defaults: se %v; want NaN", se)
	}
	if lo, hi := AUCIntervalClustered([]float64{0, 1}, []float64{0.2, 0.1}, nil, 0.95); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("one default, one non-default: [%v, %v]; want NaN", lo, hi)
	}
}
