package logistic

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"

	"github.com/credence-risk/credence/models"
)

// Solution is a fitted logistic regression: PD = Sigmoid(Intercept + x·Coef).
type Solution struct {
	Coef       []float64
	Intercept  float64
	Iterations int  // L-BFGS major iterations
	Converged  bool // false: stopped at the iteration cap
}

// gradTolerance is the largest gradient (infinity norm, on the objective
// divided by C·Σw) at which the solver counts as converged. At this point
// the coefficients are within about gradTolerance / λmin(Hessian) of the
// optimum, far below any difference that moves a PD.
const gradTolerance = 1e-10

// acceptTolerance is how small the gradient must be for a solve that the
// line search ended early (it can no longer make progress in float64) to
// still count as converged.
const acceptTolerance = 1e-7

// Solve fits a weighted, L2-regularised logistic regression of y on X by
// L-BFGS. It minimises
//
//	½‖β‖² + C·Σᵢ wᵢ·[log(1 + e^zᵢ) − yᵢ·zᵢ],  zᵢ = α + xᵢ·β,
//
// scikit-learn's objective, with the intercept α unpenalised. X must hold
// no NaN; w may be nil (every row weighs 1). maxIter caps the iterations
// (0: no cap).
func Solve(ctx context.Context, X *models.Matrix, y, w []float64, c float64, maxIter int) (Solution, error) {
	if X == nil || len(y) != X.Rows || len(X.Data) != X.Rows*X.Cols {
		return Solution{}, errors.New("logistic: matrix and labels disagree")
	}
	if w != nil && len(w) != len(y) {
		return Solution{}, fmt.Errorf("logistic: %d weights for %d rows", len(w), len(y))
	}
	if !(c > 0) || math.IsInf(c, 1) {
		return Solution{}, fmt.Errorf("logistic: C = %v; want a finite value > 0", c)
	}
	var sumW, sumWY float64
	for i, yi := range y {
		wi := weight(w, i)
		sumW += wi
		sumWY += wi * yi
	}
	if !(sumWY > 0 && sumWY < sumW) {
		return Solution{}, errors.New("logistic: the labels need both defaults and non-defaults with weight > 0")
	}
	for k, v := range X.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Solution{}, fmt.Errorf("logistic: row %d, column %d is %v", k/X.Cols+1, k%X.Cols+1, v)
		}
	}

	o := &objective{X: X, y: y, w: w, invW: 1 / sumW, ridge: 1 / (c * sumW), resid: make([]float64, X.Rows)}
	init := make([]float64, X.Cols+1)
	init[X.Cols] = math.Log(sumWY / (sumW - sumWY)) // start from the base rate
	problem := optimize.Problem{
		Func: o.value,
		Grad: o.grad,
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: gradTolerance,
		MajorIterations:   maxIter,
		// Stop once the objective has not moved for 25 iterations: the
		// optimum is as good as float64 can find.
		Converger: &optimize.FunctionConverge{Absolute: 1e-16, Relative: 1e-16, Iterations: 25},
	}
	res, err := optimize.Minimize(problem, init, settings, &optimize.LBFGS{})
	if ctxErr := ctx.Err(); ctxErr != nil {
		return Solution{}, fmt.Errorf("logistic: %w", ctxErr)
	}
	if res == nil {
		return Solution{}, fmt.Errorf("logistic: %w", err)
	}
	if !finite(res.X) {
		return Solution{}, errors.New("logistic: the solver diverged")
	}
	grad := make([]float64, len(res.X))
	o.grad(grad, res.X)
	gnorm := floats.Norm(grad, math.Inf(1))
	sol := Solution{
		Coef:       append([]float64(nil), res.X[:X.Cols]...),
		Intercept:  res.X[X.Cols],
		Iterations: res.Stats.MajorIterations,
	}
	switch {
	case err == nil && res.Status != optimize.IterationLimit:
		sol.Converged = true
	case err == nil:
		sol.Converged = gnorm <= acceptTolerance
	case gnorm <= acceptTolerance:
		// The line search gave up this close to the optimum: float64 cannot
		// do better.
		sol.Converged = true
	default:
		return Solution{}, fmt.Errorf("logistic: solver stopped with gradient %.3g: %w", gnorm, err)
	}
	return sol, nil
}

// objective is the regression objective divided by C·Σw, so that its
// scale does not depend on the number of rows.
type objective struct {
	X     *models.Matrix
	y, w  []float64
	invW  float64 // 1 / Σw
	ridge float64 // 1 / (C·Σw)

	// resid caches wᵢ·(σ(zᵢ) − yᵢ) at residAt, since L-BFGS asks for the
	// value and the gradient at the same point.
	resid   []float64
	residAt []float64
}

func (o *objective) value(theta []float64) float64 {
	beta, alpha := theta[:o.X.Cols], theta[o.X.Cols]
	var loss float64
	for i := 0; i < o.X.Rows; i++ {
		z := alpha
		if len(beta) > 0 {
			z += floats.Dot(o.X.Row(i), beta)
		}
		// One exponential serves both log(1 + e^z) and σ(z).
		e := math.Exp(-math.Abs(z))
		softplus, sigma := math.Log1p(e), 1/(1+e)
		if z > 0 {
			softplus += z
		} else {
			sigma = e / (1 + e)
		}
		wi := weight(o.w, i)
		loss += wi * (softplus - o.y[i]*z)
		o.resid[i] = wi * (sigma - o.y[i])
	}
	o.residAt = append(o.residAt[:0], theta...)
	return loss*o.invW + 0.5*o.ridge*floats.Dot(beta, beta)
}

func (o *objective) grad(g, theta []float64) {
	if !floats.Equal(theta, o.residAt) {
		o.value(theta)
	}
	cols := o.X.Cols
	gb := g[:cols]
	clear(g)
	var ga float64
	for i, r := range o.resid {
		if r == 0 {
			continue
		}
		if cols > 0 {
			floats.AddScaled(gb, r, o.X.Row(i))
		}
		ga += r
	}
	floats.Scale(o.invW, gb)
	floats.AddScaled(gb, o.ridge, theta[:cols])
	g[cols] = ga * o.invW
}

func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

func finite(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
