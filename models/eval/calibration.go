package eval

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// Brier returns the Brier score, the (weighted) mean of (y − pd)²; it
// equals scikit-learn's brier_score_loss. NaN when the input is not valid:
// lengths, labels, weights, a PD outside [0, 1], no weight at all.
func Brier(y, pd, w []float64) float64 {
	total, err := checkPD(y, pd, w)
	if err != nil {
		return math.NaN()
	}
	var s float64
	for i := range y {
		d := y[i] - pd[i]
		s += weightAt(w, i) * d * d
	}
	return s / total
}

// LogLossEps keeps log loss finite: PDs are clipped to [eps, 1 − eps], as
// scikit-learn's log_loss(eps=1e-15) does.
const LogLossEps = 1e-15

// LogLoss returns the (weighted) mean negative log-likelihood of the
// labels under the PDs, PDs clipped by LogLossEps. NaN when the input is
// not valid, as for Brier.
func LogLoss(y, pd, w []float64) float64 {
	total, err := checkPD(y, pd, w)
	if err != nil {
		return math.NaN()
	}
	var s float64
	for i := range y {
		p := min(max(pd[i], LogLossEps), 1-LogLossEps)
		l := -math.Log1p(-p)
		if y[i] == 1 {
			l = -math.Log(p)
		}
		s += weightAt(w, i) * l
	}
	return s / total
}

func weightAt(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// Jeffreys returns the p-value of the Jeffreys test of a PD against the
// defaults observed among n customers, as the ECB's 2019 instructions
// define it ("Jeffreys test"):
//
//	p = F(pd),   F the CDF of Beta(defaults + ½, n − defaults + ½)
//
// The Beta distribution is the posterior of the default rate under the
// Jeffreys prior, so p is the posterior probability that the true
// default rate is at or below pd. The null hypothesis is that pd is not
// too low (PD ≥ true default rate); a small p rejects it: the observed
// default rate is significantly above the PD, i.e. the PD is
// underestimated. A p near 1 signals a conservative PD, which the test
// does not penalise. defaults and n may be weighted (non-integer) counts.
// NaN unless 0 <= defaults <= n, n > 0 and pd in [0, 1].
func Jeffreys(defaults, n, pd float64) float64 {
	if !(n > 0 && defaults >= 0 && defaults <= n && pd >= 0 && pd <= 1) || math.IsInf(n, 1) {
		return math.NaN()
	}
	switch pd {
	case 0:
		return 0
	case 1:
		return 1
	}
	return mathext.RegIncBeta(defaults+0.5, n-defaults+0.5, pd)
}

// JeffreysInterval returns the equal-tailed Jeffreys interval of a default
// rate at the given level: the (1−level)/2 and (1+level)/2 quantiles of
// Beta(defaults + ½, n − defaults + ½), with the lower end set to 0 when
// there are no defaults and the upper end to 1 when all default (Brown,
// Cai & DasGupta 2001). NaN for arguments Jeffreys rejects or a level
// outside (0, 1).
func JeffreysInterval(defaults, n, level float64) (lo, hi float64) {
	if math.IsNaN(Jeffreys(defaults, n, 0.5)) || !(level > 0 && level < 1) {
		return math.NaN(), math.NaN()
	}
	b := distuv.Beta{Alpha: defaults + 0.5, Beta: n - defaults + 0.5}
	lo, hi = 0, 1
	if defaults > 0 {
		lo = b.Quantile((1 - level) / 2)
	}
	if defaults < n {
		hi = b.Quantile((1 + level) / 2)
	}
	return lo, hi
}

// BinomialTest returns the one-sided p-value P(X >= defaults) for X
// binomial with n trials of probability pd: the chance of at least as
// many defaults if the PD were right. Small values say the PD is too low.
// It is computed as the regularised incomplete beta I_pd(defaults,
// n − defaults + 1), exact in the far tail where 1 − CDF would round to 0.
// NaN unless 0 <= defaults <= n, n > 0 and pd in [0, 1].
func BinomialTest(defaults, n int, pd float64) float64 {
	if !(n > 0 && defaults >= 0 && defaults <= n && pd >= 0 && pd <= 1) {
		return math.NaN()
	}
	switch {
	case defaults == 0:
		return 1
	case pd == 0:
		return 0
	case pd == 1:
		return 1
	}
	return mathext.RegIncBeta(float64(defaults), float64(n-defaults+1), pd)
}

// Light is a traffic-light rating of a one-sided calibration p-value.
type Light string

// The traffic lights. The confidence level at which the test rejects the
// PD is 1 − p: green below 95%, yellow from 95% up to 99.9%, red at
// 99.9% and above. In p-values: green p > 0.05, yellow 0.001 < p <= 0.05,
// red p <= 0.001.
const (
	Green   Light = "green"
	Yellow  Light = "yellow"
	Red     Light = "red"
	NoLight Light = "none" // the p-value was NaN: no test was possible
)

// TrafficLight rates a p-value; see Light.
func TrafficLight(p float64) Light {
	switch {
	case math.IsNaN(p):
		return NoLight
	case p <= 0.001:
		return Red
	case p <= 0.05:
		return Yellow
	default:
		return Green
	}
}

// GradeRow is the calibration of one grade (or, with Grade 0, of the
// whole sample): its counts, observed default rate, mean PD and the tests
// of the one against the other.
//
// On a weighted sample N and Defaults still count rows; Weight is the
// population the grade's rows stand for (their summed weight, 0 when
// unweighted), and the rates, the tests and the interval are the
// population's: weighted default rate and mean PD, Jeffreys on the
// weighted counts, the binomial test on the weighted counts rounded to
// whole customers (it needs integers).
type GradeRow struct {
	Grade       int     `json:"grade"`
	N           int     `json:"n"`
	Defaults    int     `json:"defaults"`
	Weight      float64 `json:"weight,omitempty"`
	DefaultRate float64 `json:"default_rate"`
	MeanPD      float64 `json:"mean_pd"`
	// JeffreysP and BinomialP test MeanPD against the defaults; Light
	// rates JeffreysP, the test the ECB asks for.
	JeffreysP float64 `json:"jeffreys_p"`
	BinomialP float64 `json:"binomial_p"`
	Light     Light   `json:"light"`
	// DRLow and DRHigh bound the default rate: the 95% Jeffreys interval.
	DRLow  float64 `json:"dr_low"`
	DRHigh float64 `json:"dr_high"`
}

// Population is the number of customers the row stands for: Weight when
// weighted, else N.
func (r GradeRow) Population() float64 {
	if r.Weight > 0 {
		return r.Weight
	}
	return float64(r.N)
}

// PopulationDefaults is the number of defaults the row stands for.
func (r GradeRow) PopulationDefaults() float64 {
	if r.Weight > 0 {
		return r.DefaultRate * r.Weight
	}
	return float64(r.Defaults)
}

// gradeAcc accumulates one grade: rows, defaulted rows, and the weight,
// defaulted weight and weighted PD sum.
type gradeAcc struct {
	n, defaults                int
	weight, defaultWeight, sum float64
}

func (a *gradeAcc) add(y, pd, w float64) {
	a.n++
	a.defaults += int(y)
	a.weight += w
	a.defaultWeight += w * y
	a.sum += w * pd
}

func (a *gradeAcc) row(grade int, weighted bool) GradeRow {
	r := GradeRow{
		Grade:       grade,
		N:           a.n,
		Defaults:    a.defaults,
		DefaultRate: a.defaultWeight / a.weight,
		MeanPD:      min(a.sum/a.weight, 1),
	}
	n, defaults := a.n, a.defaults
	if weighted {
		r.Weight = a.weight
		n, defaults = int(math.Round(a.weight)), int(math.Round(a.defaultWeight))
	}
	r.JeffreysP = Jeffreys(a.defaultWeight, a.weight, r.MeanPD)
	r.BinomialP = BinomialTest(defaults, n, r.MeanPD)
	r.Light = TrafficLight(r.JeffreysP)
	r.DRLow, r.DRHigh = JeffreysInterval(a.defaultWeight, a.weight, 0.95)
	return r
}

// CalibrationByGrade compares PDs with outcomes grade by grade, each row
// weighing w[i] (w nil: every row weighs 1; see GradeRow): one row per
// grade present, in ascending grade order. The PD tested for a grade is
// the (weighted) mean PD of its members in this sample. Grades must be
// >= 1, PDs in [0, 1], labels 0 or 1.
func CalibrationByGrade(grades []int, pd, y, w []float64) ([]GradeRow, error) {
	if len(grades) != len(y) {
		return nil, fmt.Errorf("eval: %d grades for %d labels", len(grades), len(y))
	}
	if _, err := checkPD(y, pd, w); err != nil {
		return nil, err
	}
	by := map[int]*gradeAcc{}
	for i, g := range grades {
		if g < 1 {
			return nil, fmt.Errorf("eval: row %d: grade %d is not >= 1", i+1, g)
		}
		a := by[g]
		if a == nil {
			a = &gradeAcc{}
			by[g] = a
		}
		a.add(y[i], pd[i], weightAt(w, i))
	}
	keys := make([]int, 0, len(by))
	for g := range by {
		keys = append(keys, g)
	}
	slices.Sort(keys)
	rows := make([]GradeRow, len(keys))
	for k, g := range keys {
		rows[k] = by[g].row(g, w != nil)
	}
	return rows, nil
}

// Calibration is CalibrationByGrade for the sample as a whole: one row,
// Grade 0, testing the (weighted) mean PD against the overall default
// rate.
func Calibration(pd, y, w []float64) (GradeRow, error) {
	if _, err := checkPD(y, pd, w); err != nil {
		return GradeRow{}, err
	}
	var a gradeAcc
	for i := range y {
		a.add(y[i], pd[i], weightAt(w, i))
	}
	return a.row(0, w != nil), nil
}

// HosmerLemeshow returns the Hosmer-Lemeshow statistic and its p-value
// (chi-square with groups − 2 degrees of freedom; groups 0 means 10),
// each row weighing w[i] (w nil: every row weighs 1).
// Grouping rule: rows are sorted by PD (ties keep their input order) and
// cut into groups of consecutive rows whose sizes differ by at most one,
// the larger groups first (numpy's array_split of the stable argsort).
// Weighted, the groups are of equal weight: the sorted rows laid end to
// end by weight are cut at every total/groups, a row on a cut sharing its
// weight between the two groups, so a row of weight k counts as k copies.
// For each group with O (weighted) defaults, E = (weighted) ΣPD and
// weight n (its row count unweighted):
//
//	HL = Σ (O − E)² / (E·(1 − E/n))
//
// A group whose E·(1 − E/n) is 0 (all PDs 0, or all 1) adds nothing if
// O = E and makes HL infinite (p = 0) otherwise. NaN for invalid input,
// groups of 1 or 2 or below 0, or fewer rows than groups.
func HosmerLemeshow(y, pd, w []float64, groups int) (stat, p float64) {
	if groups == 0 {
		groups = 10
	}
	total, err := checkPD(y, pd, w)
	if err != nil || groups < 3 || len(y) < groups {
		return math.NaN(), math.NaN()
	}
	order := make([]int, len(pd))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case pd[a] < pd[b]:
			return -1
		case pd[a] > pd[b]:
			return 1
		}
		return 0
	})
	// ends[g] is where group g ends on the line of cumulative weight.
	ends := make([]float64, groups)
	n := len(order)
	size, extra := n/groups, n%groups
	end := 0
	for g := range ends {
		if w == nil {
			end += size
			if g < extra {
				end++
			}
			ends[g] = float64(end)
		} else {
			ends[g] = total * float64(g+1) / float64(groups)
		}
	}
	ends[groups-1] = total
	var o, e, ng, at float64
	closeGroup := func() {
		v := e * (1 - e/ng)
		switch {
		case v > 0:
			stat += (o - e) * (o - e) / v
		case o != e:
			stat = math.Inf(1)
		}
		o, e, ng = 0, 0, 0
	}
	g := 0
	for _, i := range order {
		from := at
		at += weightAt(w, i)
		for g < groups-1 && ends[g] < at {
			part := max(ends[g]-from, 0)
			o, e, ng = o+part*y[i], e+part*pd[i], ng+part
			from = ends[g]
			closeGroup()
			g++
		}
		part := at - from
		o, e, ng = o+part*y[i], e+part*pd[i], ng+part
	}
	closeGroup()
	chi := distuv.ChiSquared{K: float64(groups - 2)}
	return stat, chi.Survival(stat)
}
