package grade

import "math"

// Points puts PDs on a score scale: Base points at good:bad odds of Odds,
// and PDO more points for each doubling of those odds.
type Points struct {
	Base float64 `json:"base"`
	Odds float64 `json:"odds"`
	PDO  float64 `json:"pdo"`
}

// DefaultPoints is 600 points at odds of 50:1 with 20 points to double
// the odds, the scorecard default.
func DefaultPoints() Points { return Points{Base: 600, Odds: 50, PDO: 20} }

// Score returns the points of pd (clamped to (1e-9, 1 − 1e-9)).
func (p Points) Score(pd float64) float64 {
	pd = math.Min(math.Max(pd, 1e-9), 1-1e-9)
	return p.Base + p.PDO/math.Ln2*math.Log((1-pd)/pd/p.Odds)
}
