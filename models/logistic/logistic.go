// Package logistic fits the plain baseline that every Credence training
// run reports beside its scorecard: an L2-regularised logistic regression
// on standardised features, the same model as scikit-learn's
//
//	make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(C=C))
//
// Missing values are imputed with the training mean, features are
// standardised with the training mean and standard deviation, and the
// regression is fitted by L-BFGS with an unpenalised intercept. Solve, the
// regression itself, is shared with the scorecard.
package logistic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/credence-risk/credence/models"
)

// Name is the family name its models report and artifacts store.
const Name = "logistic"

// Config sets the regression's regularisation and effort.
type Config struct {
	// C is the inverse L2 regularisation strength, as scikit-learn's C:
	// larger C, weaker penalty. Zero means 1.
	C float64 `json:"c"`
	// MaxIter caps the L-BFGS iterations. Zero means 1000.
	MaxIter int `json:"max_iter"`
}

// DefaultConfig returns C = 1 and at most 1000 iterations.
func DefaultConfig() Config { return Config{C: 1, MaxIter: 1000} }

// withDefaults fills zero fields and rejects values no fit can use.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.C == 0 {
		c.C = d.C
	}
	if c.MaxIter == 0 {
		c.MaxIter = d.MaxIter
	}
	if !(c.C > 0) || math.IsInf(c.C, 1) {
		return c, fmt.Errorf("logistic: C = %v; want a finite value > 0", c.C)
	}
	if c.MaxIter < 0 {
		return c, fmt.Errorf("logistic: MaxIter = %d; want >= 0", c.MaxIter)
	}
	return c, nil
}

// Trainer fits logistic models.
type Trainer struct{ Config }

// Fit standardises train and fits the regression on it. valid is not
// used: the regression has no early stopping. Weights, when given, weigh
// the mean and standard deviation as well as the loss.
func (t Trainer) Fit(ctx context.Context, train, valid *models.Dataset) (models.Model, error) {
	cfg, err := t.Config.withDefaults()
	if err != nil {
		return nil, err
	}
	if train == nil {
		return nil, errors.New("logistic: no training data")
	}
	if err := train.Check(); err != nil {
		return nil, fmt.Errorf("logistic: %w", err)
	}
	X := train.X
	m := &Model{
		features: slices.Clone(X.Names),
		mean:     make([]float64, X.Cols),
		scale:    make([]float64, X.Cols),
		config:   cfg,
	}
	if len(m.features) != X.Cols {
		return nil, fmt.Errorf("logistic: %d names for %d columns", len(m.features), X.Cols)
	}
	for j := range X.Cols {
		m.mean[j], m.scale[j] = imputedMoments(X, j, train.W)
	}
	Z := models.NewMatrix(X.Rows, m.features)
	for i := range X.Rows {
		m.standardise(Z.Row(i), X.Row(i))
	}
	sol, err := Solve(ctx, Z, train.Y, train.W, cfg.C, cfg.MaxIter)
	if err != nil {
		return nil, err
	}
	m.coef, m.intercept = sol.Coef, sol.Intercept
	m.iterations, m.converged = sol.Iterations, sol.Converged
	return m, nil
}

// imputedMoments returns the mean of column j over its non-missing values
// and the standard deviation (ddof 0) of the column once missing values
// are replaced by that mean, as SimpleImputer then StandardScaler compute
// them. A constant column gets scale 1, as StandardScaler gives it.
func imputedMoments(X *models.Matrix, j int, w []float64) (mean, scale float64) {
	var sw, swx, total float64
	for i := range X.Rows {
		wi := weight(w, i)
		total += wi
		if v := X.At(i, j); !math.IsNaN(v) {
			sw += wi
			swx += wi * v
		}
	}
	if sw == 0 {
		// No value at all: the column standardises to zeros.
		return 0, 1
	}
	mean = swx / sw
	var ss float64
	for i := range X.Rows {
		if v := X.At(i, j); !math.IsNaN(v) {
			d := v - mean
			ss += weight(w, i) * d * d
		}
	}
	scale = math.Sqrt(ss / total)
	if scale <= 10*2.220446049250313e-16*math.Max(1, math.Abs(mean)) {
		scale = 1
	}
	return mean, scale
}

// Model is a fitted logistic regression on standardised features.
type Model struct {
	features    []string
	mean, scale []float64 // imputation value and standardisation per feature
	coef        []float64 // per standardised feature
	intercept   float64
	config      Config
	iterations  int
	converged   bool
}

// Family returns "logistic".
func (m *Model) Family() string { return Name }

// Features returns the columns the model expects, in order.
func (m *Model) Features() []string { return slices.Clone(m.features) }

// Coefficients returns the coefficients on the standardised features and
// the intercept.
func (m *Model) Coefficients() (coef []float64, intercept float64) {
	return slices.Clone(m.coef), m.intercept
}

// Converged reports whether the fit met its tolerance within MaxIter, and
// how many iterations it took.
func (m *Model) Converged() (ok bool, iterations int) { return m.converged, m.iterations }

// standardise writes the imputed, standardised x to z.
func (m *Model) standardise(z, x []float64) {
	for j, v := range x {
		if math.IsNaN(v) {
			z[j] = 0
			continue
		}
		z[j] = (v - m.mean[j]) / m.scale[j]
	}
}

func (m *Model) checkLen(x []float64) {
	if len(x) != len(m.features) {
		panic(fmt.Sprintf("logistic: vector has %d values; model expects %d", len(x), len(m.features)))
	}
}

// LogOdds returns the log-odds of default of x.
func (m *Model) LogOdds(x []float64) float64 {
	m.checkLen(x)
	z := m.intercept
	for j, v := range x {
		if math.IsNaN(v) {
			continue // imputed with the mean: standardised to 0
		}
		z += m.coef[j] * ((v - m.mean[j]) / m.scale[j])
	}
	return z
}

// PD returns the probability of default of x; NaN marks a missing value.
func (m *Model) PD(x []float64) float64 { return models.Sigmoid(m.LogOdds(x)) }

// PDs writes the probability of default of every row of X to out. X must
// have the model's columns in the model's order.
func (m *Model) PDs(X *models.Matrix, out []float64) {
	checkLayout(X, m.features, "logistic")
	for i := range X.Rows {
		out[i] = m.PD(X.Row(i))
	}
}

// Reasons returns up to n features whose coefficient × standardised value
// raised the log-odds of default the most; a missing value (imputed with
// the mean) is never a reason.
func (m *Model) Reasons(x []float64, n int) []models.Reason {
	return models.TopReasons(m.features, x, m.Contributions(x, nil), n)
}

// Contributions returns each feature's coefficient × standardised value
// (0 for a missing value, imputed with the mean), then the intercept in
// the last slot: they sum to LogOdds(x). dst is reused when it has room
// for len(Features())+1 values.
func (m *Model) Contributions(x, dst []float64) []float64 {
	m.checkLen(x)
	p := len(m.features)
	if cap(dst) < p+1 {
		dst = make([]float64, p+1)
	}
	dst = dst[:p+1]
	for j, v := range x {
		dst[j] = 0
		if !math.IsNaN(v) {
			dst[j] = m.coef[j] * ((v - m.mean[j]) / m.scale[j])
		}
	}
	dst[p] = m.intercept
	return dst
}

// checkLayout panics when X is not laid out as the model expects: scoring
// the wrong columns would return plausible, wrong PDs.
func checkLayout(X *models.Matrix, features []string, family string) {
	if X.Cols != len(features) {
		panic(fmt.Sprintf("%s: matrix has %d columns; model expects %d", family, X.Cols, len(features)))
	}
	if X.Names != nil && !slices.Equal(X.Names, features) {
		panic(fmt.Sprintf("%s: matrix columns %q differ from the model's %q", family, X.Names, features))
	}
}
