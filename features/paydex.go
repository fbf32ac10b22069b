package features

import "math"

// paydexScale is D&B's PAYDEX scale: the score of paying a given number of
// days beyond terms (negative: before the due date). Scores in between are
// interpolated linearly; beyond the ends they stay at 100 and 20.
var paydexScale = [...]struct{ dbt, score float64 }{
	{-30, 100}, // anticipates
	{-20, 90},  // discounts
	{0, 80},    // prompt
	{15, 70},
	{22, 60},
	{30, 50},
	{60, 40},
	{90, 30},
	{120, 20},
}

// Paydex maps days beyond terms onto D&B's PAYDEX scale: 100 for paying 30
// or more days early, 80 for paying on the due date, 70 at 15 days late, 50
// at 30 and 20 at 120 days or more. NaN gives NaN.
//
// The invoice feature inv_paydex is, like D&B's index, the amount-weighted
// mean of the scores of the items paid in a window.
func Paydex(daysBeyondTerms float64) float64 {
	d := daysBeyondTerms
	switch {
	case math.IsNaN(d):
		return math.NaN()
	case d <= paydexScale[0].dbt:
		return paydexScale[0].score
	}
	for i := 1; i < len(paydexScale); i++ {
		hi := paydexScale[i]
		if d <= hi.dbt {
			lo := paydexScale[i-1]
			return lo.score + (d-lo.dbt)*(hi.score-lo.score)/(hi.dbt-lo.dbt)
		}
	}
	return paydexScale[len(paydexScale)-1].score
}
