// Package eval holds the validation metrics of probability-of-default
// models, the ones training reports and revalidation recomputes: both
// call this package, so a metric means the same thing in the model's
// artifact and in a later review of it.
//
// The measures follow the supervisory standards (BCBS Working Paper 14,
// the ECB's 2019 instructions for reporting validation results, the EBA
// guidelines on PD estimation):
//
//   - discrimination: AUC (with DeLong's standard error and confidence
//     interval), Gini, KS, the ROC and KS curves, and the ECB test for a
//     drop in AUC since the initial validation;
//   - calibration: Brier score, log loss, Jeffreys and binomial tests per
//     grade with traffic lights, Hosmer-Lemeshow;
//   - stability: PSI of the score, per-feature CSI, grade concentration
//     (Herfindahl), information value.
//
// Labels are 1 for a default within the horizon and 0 otherwise; scores
// are larger for riskier customers (a PD is a score). Metrics that return
// a plain number return NaN when the input is not valid, never a number
// that looks like a result; Check says why. Those that return tables
// return an error instead.
//
// Metrics that take weights w (nil: every row weighs 1) measure the
// population a weighted sample stands for: a row of weight k counts as k
// copies of it. Training samples case-control, every default with
// weight 1 and a share r of the non-defaults with weight 1/r; unweighted,
// such a sample's default rate is inflated. Counts of rows (N, Defaults)
// stay counts of rows; a Weight field beside them holds the population.
package eval

import (
	"errors"
	"fmt"
	"math"
)

// ErrOneClass reports a sample without both defaults and non-defaults, on
// which discrimination is undefined.
var ErrOneClass = errors.New("eval: need both defaults and non-defaults")

// Check reports why labels y, scores and optional weights w are not a
// valid input to the discrimination metrics: lengths that differ, a label
// other than 0 or 1, a NaN score, a weight that is negative, NaN or
// infinite, or (ErrOneClass) a class without weight.
func Check(y, score, w []float64) error {
	_, _, err := checkInput(y, score, w)
	return err
}

// checkInput validates a sample and returns the weight of defaults and of
// non-defaults (counts when w is nil).
func checkInput(y, score, w []float64) (pos, neg float64, err error) {
	if err := checkLabels(y, score, w); err != nil {
		return 0, 0, err
	}
	for i, s := range score {
		if math.IsNaN(s) {
			return 0, 0, fmt.Errorf("eval: row %d: score is NaN", i+1)
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		if y[i] == 1 {
			pos += wi
		} else {
			neg += wi
		}
	}
	if !(pos > 0 && neg > 0) {
		return pos, neg, ErrOneClass
	}
	return pos, neg, nil
}

// checkLabels validates lengths, labels and weights.
func checkLabels(y, x, w []float64) error {
	if len(x) != len(y) {
		return fmt.Errorf("eval: %d values for %d labels", len(x), len(y))
	}
	if w != nil && len(w) != len(y) {
		return fmt.Errorf("eval: %d weights for %d labels", len(w), len(y))
	}
	for i, v := range y {
		if v != 0 && v != 1 {
			return fmt.Errorf("eval: row %d: label %v is not 0 or 1", i+1, v)
		}
		if w != nil && !(w[i] >= 0 && !math.IsInf(w[i], 1)) {
			return fmt.Errorf("eval: row %d: weight %v is not finite and >= 0", i+1, w[i])
		}
	}
	return nil
}

// checkPD validates labels, PDs in [0, 1] and weights, and returns the
// total weight, which must be positive.
func checkPD(y, pd, w []float64) (float64, error) {
	if err := checkLabels(y, pd, w); err != nil {
		return 0, err
	}
	var total float64
	for i, p := range pd {
		if !(p >= 0 && p <= 1) {
			return 0, fmt.Errorf("eval: row %d: PD %v is not in [0, 1]", i+1, p)
		}
		if w == nil {
			total++
		} else {
			total += w[i]
		}
	}
	if !(total > 0) {
		return 0, errors.New("eval: no rows with weight")
	}
	return total, nil
}
