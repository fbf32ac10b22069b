package eval

import (
	"cmp"
	"iter"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
)

// ranking is a sample's scores split by class, each sorted ascending:
// every rank statistic here is a walk over the two.
type ranking struct {
	pos, neg []float64 // scores of defaults, of non-defaults
}

func newRanking(y, score []float64) (*ranking, error) {
	pos, neg, err := checkInput(y, score, nil)
	if err != nil {
		return nil, err
	}
	r := &ranking{pos: make([]float64, 0, int(pos)), neg: make([]float64, 0, int(neg))}
	for i, s := range score {
		if y[i] == 1 {
			r.pos = append(r.pos, s)
		} else {
			r.neg = append(r.neg, s)
		}
	}
	slices.Sort(r.pos)
	slices.Sort(r.neg)
	return r, nil
}

// level is one distinct score: how many defaults and non-defaults have
// it, and how many have a lower score.
type level struct {
	score              float64
	pos, neg           int
	posBelow, negBelow int
}

// levels yields the distinct scores in ascending order.
func (r *ranking) levels() iter.Seq[level] {
	return func(yield func(level) bool) {
		i, j := 0, 0
		for i < len(r.pos) || j < len(r.neg) {
			var s float64
			if j == len(r.neg) || (i < len(r.pos) && r.pos[i] < r.neg[j]) {
				s = r.pos[i]
			} else {
				s = r.neg[j]
			}
			l := level{score: s, posBelow: i, negBelow: j}
			for i < len(r.pos) && r.pos[i] == s {
				i++
			}
			for j < len(r.neg) && r.neg[j] == s {
				j++
			}
			l.pos, l.neg = i-l.posBelow, j-l.negBelow
			if !yield(l) {
				return
			}
		}
	}
}

// auc is the Mann-Whitney statistic: the share of (default, non-default)
// pairs ranked the right way, ties counting half. It is summed in
// integers (twice the count), so it is exact before the final division.
func (r *ranking) auc() float64 {
	var twice int64
	i, j := 0, 0
	for i < len(r.pos) {
		s := r.pos[i]
		for j < len(r.neg) && r.neg[j] < s {
			j++
		}
		below := j
		for j < len(r.neg) && r.neg[j] == s {
			j++
		}
		tied := j - below
		k := i
		for k < len(r.pos) && r.pos[k] == s {
			k++
		}
		twice += int64(k-i) * int64(2*below+tied)
		i = k
	}
	return float64(twice) / (2 * float64(len(r.pos)) * float64(len(r.neg)))
}

// AUC returns the area under the ROC curve: the probability that a
// default scores higher than a non-default, ties counting half, weighted
// by the product of the pair's weights when w is not nil. It equals
// scikit-learn's roc_auc_score(y, score, sample_weight=w). NaN when the
// input is not valid (see Check).
func AUC(y, score, w []float64) float64 {
	if w == nil {
		r, err := newRanking(y, score)
		if err != nil {
			return math.NaN()
		}
		return r.auc()
	}
	lv, pos, neg, err := weightedLevels(y, score, w)
	if err != nil {
		return math.NaN()
	}
	var sum, negBelow float64
	for _, l := range lv {
		sum += l.pos * (negBelow + l.neg/2)
		negBelow += l.neg
	}
	return sum / (pos * neg)
}

// weightedLevel is one distinct score with the weight of the defaults
// and of the non-defaults that have it.
type weightedLevel struct{ score, pos, neg float64 }

// weightedLevels returns the distinct scores' weights in ascending score
// order and the total weight of each class.
func weightedLevels(y, score, w []float64) (lv []weightedLevel, pos, neg float64, err error) {
	pos, neg, err = checkInput(y, score, w)
	if err != nil {
		return nil, pos, neg, err
	}
	type row struct{ s, w, y float64 }
	rows := make([]row, len(y))
	for i := range y {
		rows[i] = row{score[i], weightAt(w, i), y[i]}
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(a.s, b.s) })
	for i := 0; i < len(rows); {
		l := weightedLevel{score: rows[i].s}
		k := i
		for ; k < len(rows) && rows[k].s == rows[i].s; k++ {
			if rows[k].y == 1 {
				l.pos += rows[k].w
			} else {
				l.neg += rows[k].w
			}
		}
		lv = append(lv, l)
		i = k
	}
	return lv, pos, neg, nil
}

// weightedKS is KS with each row weighing w: the largest distance between
// the classes' weighted score distributions.
func weightedKS(y, score, w []float64) float64 {
	lv, pos, neg, err := weightedLevels(y, score, w)
	if err != nil {
		return math.NaN()
	}
	var best, posBelow, negBelow float64
	for _, l := range lv {
		posBelow += l.pos
		negBelow += l.neg
		best = max(best, math.Abs(posBelow/pos-negBelow/neg))
	}
	return best
}

// Gini returns the Gini coefficient (accuracy ratio) 2·AUC − 1.
func Gini(y, score, w []float64) float64 {
	return 2*AUC(y, score, w) - 1
}

// DeLong returns the AUC and its standard error by DeLong, DeLong &
// Clarke-Pearson (1988), computed with the midrank algorithm of Sun & Xu
// (2014) in one sort:
//
//	V10(x) = (#non-defaults below x + ½ #tied) / n    for each default
//	V01(y) = (#defaults above y + ½ #tied) / m        for each non-default
//	se²    = var(V10)/m + var(V01)/n                  (sample variances)
//
// with m defaults and n non-defaults. The standard error is NaN when
// either class has fewer than two members; both are NaN for invalid input.
func DeLong(y, score []float64) (auc, se float64) {
	r, err := newRanking(y, score)
	if err != nil {
		return math.NaN(), math.NaN()
	}
	return r.delong()
}

func (r *ranking) delong() (auc, se float64) {
	m, n := float64(len(r.pos)), float64(len(r.neg))
	auc = r.auc()
	var s10, s01 float64
	for l := range r.levels() {
		if l.pos > 0 {
			d := (float64(l.negBelow)+float64(l.neg)/2)/n - auc
			s10 += float64(l.pos) * d * d
		}
		if l.neg > 0 {
			above := len(r.pos) - l.posBelow - l.pos
			d := (float64(above)+float64(l.pos)/2)/m - auc
			s01 += float64(l.neg) * d * d
		}
	}
	if m < 2 || n < 2 {
		return auc, math.NaN()
	}
	return auc, math.Sqrt(s10/(m-1)/m + s01/(n-1)/n)
}

// AUCInterval returns the two-sided confidence interval of the AUC at the
// given level (e.g. 0.95): AUC ± z·se, se by DeLong, z the normal
// quantile, clipped to [0, 1]. NaN for invalid input or a level outside
// (0, 1).
func AUCInterval(y, score []float64, level float64) (lo, hi float64) {
	auc, se := DeLong(y, score)
	return interval(auc, se, level)
}

func interval(auc, se, level float64) (lo, hi float64) {
	if !(level > 0 && level < 1) || math.IsNaN(se) {
		return math.NaN(), math.NaN()
	}
	z := mathext.NormalQuantile(1 - (1-level)/2)
	return max(auc-z*se, 0), min(auc+z*se, 1)
}

// AUCDropTest is the ECB's test of whether the AUC has fallen since the
// initial validation (Instructions for reporting the validation results of
// internal models, 2019, "current AUC vs. AUC at initial validation"):
//
//	S = (AUC_init − AUC_curr) / s_curr,    p = 1 − Φ(S)
//
// AUC_curr and its standard error s_curr are computed on the current
// sample (y, score) by DeLong; AUC_init is the value recorded at initial
// validation. A small p-value means the current AUC is significantly
// below the initial one. When s_curr is 0 (a perfectly separating score)
// S is ±Inf, or 0 when the two AUCs are equal. NaN for invalid input or
// an aucInit outside [0, 1].
func AUCDropTest(aucInit float64, y, score []float64) (z, pValue float64) {
	auc, se := DeLong(y, score)
	return dropTest(aucInit, auc, se)
}

func dropTest(aucInit, auc, se float64) (z, pValue float64) {
	if !(aucInit >= 0 && aucInit <= 1) || math.IsNaN(se) || math.IsNaN(auc) {
		return math.NaN(), math.NaN()
	}
	d := aucInit - auc
	switch {
	case se > 0:
		z = d / se
	case d > 0:
		z = math.Inf(1)
	case d < 0:
		z = math.Inf(-1)
	}
	return z, normalSurvival(z)
}

// normalSurvival is 1 − Φ(z), accurate far into the upper tail.
func normalSurvival(z float64) float64 {
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

// ROC returns the ROC curve: for each distinct score t, from the highest
// down, the false and true positive rates of flagging scores >= t. The
// first point is (0, 0) at threshold +Inf; points in the middle of a
// straight segment are dropped, as scikit-learn's roc_curve does by
// default (drop_intermediate=True), which keeps the curve exact and its
// size modest.
func ROC(y, score []float64) (fpr, tpr, thresholds []float64, err error) {
	r, err := newRanking(y, score)
	if err != nil {
		return nil, nil, nil, err
	}
	lv := slices.Collect(r.levels())
	m, n := len(r.pos), len(r.neg)
	k := len(lv)
	// Cumulative counts from the top: point j is threshold lv[k−1−j].
	tps := make([]int, k)
	fps := make([]int, k)
	for j := range k {
		l := lv[k-1-j]
		tps[j] = m - l.posBelow
		fps[j] = n - l.negBelow
	}
	fpr = append(make([]float64, 0, k+1), 0)
	tpr = append(make([]float64, 0, k+1), 0)
	thresholds = append(make([]float64, 0, k+1), math.Inf(1))
	for j := range k {
		// Keep the ends and every corner: a point where the slope changes.
		if j > 0 && j < k-1 &&
			fps[j+1]-2*fps[j]+fps[j-1] == 0 && tps[j+1]-2*tps[j]+tps[j-1] == 0 {
			continue
		}
		fpr = append(fpr, float64(fps[j])/float64(n))
		tpr = append(tpr, float64(tps[j])/float64(m))
		thresholds = append(thresholds, lv[k-1-j].score)
	}
	return fpr, tpr, thresholds, nil
}

// KS returns the Kolmogorov-Smirnov statistic: the largest distance
// between the score distributions of defaults and non-defaults, the
// statistic of scipy.stats.ks_2samp on the two. NaN for invalid input.
func KS(y, score []float64) float64 {
	r, err := newRanking(y, score)
	if err != nil {
		return math.NaN()
	}
	return r.ks()
}

func (r *ranking) ks() float64 {
	m, n := float64(len(r.pos)), float64(len(r.neg))
	var best float64
	for l := range r.levels() {
		// Shares at or below this score.
		d := math.Abs(float64(l.posBelow+l.pos)/m - float64(l.negBelow+l.neg)/n)
		best = max(best, d)
	}
	return best
}

// KSPoint is one point of the KS chart: flagging every score at or above
// Threshold flags Population of the sample, Defaults of the defaults and
// NonDefaults of the non-defaults; Separation is Defaults − NonDefaults,
// whose largest absolute value is KS.
type KSPoint struct {
	Threshold   float64 `json:"threshold"`
	Population  float64 `json:"population"`
	Defaults    float64 `json:"defaults"`
	NonDefaults float64 `json:"non_defaults"`
	Separation  float64 `json:"separation"`
}

// KSCurve returns the KS chart, one point per distinct score from the
// highest down, each row weighing w[i] (w nil: every row weighs 1; scores
// of rows without weight add no point); the chart starts at the origin,
// which is not listed. Weighted, Population is the weighted share
// flagged: the population's, on a case-control sample.
func KSCurve(y, score, w []float64) ([]KSPoint, error) {
	lv, m, n, err := weightedLevels(y, score, w)
	if err != nil {
		return nil, err
	}
	out := make([]KSPoint, 0, len(lv))
	var tp, fp float64
	for j := len(lv) - 1; j >= 0; j-- {
		l := lv[j]
		if l.pos+l.neg == 0 {
			continue
		}
		tp, fp = tp+l.pos, fp+l.neg
		p := KSPoint{
			Threshold:   l.score,
			Population:  (tp + fp) / (m + n),
			Defaults:    tp / m,
			NonDefaults: fp / n,
		}
		p.Separation = p.Defaults - p.NonDefaults
		out = append(out, p)
	}
	return out, nil
}
