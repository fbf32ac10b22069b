package calibrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/credence-risk/credence/models"
)

// Platt is Platt scaling on the log-odds of the raw PD:
//
//	calibrated = 1 / (1 + exp(−(A·logit(pd) + B)))
//
// A = 1, B = 0 is the identity; B shifts every PD's odds by the same
// factor e^B and A stretches or shrinks their spread. logit is
// models.Logit, which clamps PDs of 0 and 1 to 1e-15 away from them.
type Platt struct {
	A, B float64
	// Smoothed records that the fit used Platt's smoothed targets.
	Smoothed bool
}

// PlattOptions tunes FitPlattWith. The zero value is the default fit.
type PlattOptions struct {
	// RawTargets fits to the 0/1 labels themselves, the plain maximum-
	// likelihood logistic regression. By default the labels are replaced
	// by Platt's targets (N₊+1)/(N₊+2) for a default and 1/(N₋+2) for a
	// non-default (N₊, N₋: total weight of defaults and non-defaults),
	// which keeps A and B finite when the PDs separate the classes and
	// pulls small samples slightly towards the mean.
	RawTargets bool
}

// FitPlatt fits Platt scaling with Platt's smoothed targets; w may be nil
// (every row weighs 1). See FitPlattWith.
func FitPlatt(pd, y, w []float64) (*Platt, error) {
	return FitPlattWith(pd, y, w, PlattOptions{})
}

// maxNewton bounds the Newton iterations; a well-posed fit converges in
// well under twenty.
const maxNewton = 200

// FitPlattWith fits A and B by weighted maximum likelihood of the targets
// given logit(pd), with Newton's method and a backtracking line search
// (Lin, Lin & Weng 2007, "A note on Platt's probabilistic outputs"). PDs
// must lie in [0, 1], labels be 0 or 1, weights finite and >= 0; both
// classes must have weight, and the PDs must not all be equal.
func FitPlattWith(pd, y, w []float64, opt PlattOptions) (*Platt, error) {
	pos, neg, err := checkFitInput(pd, y, w)
	if err != nil {
		return nil, err
	}
	hi, lo := 1.0, 0.0
	if !opt.RawTargets {
		hi, lo = (pos+1)/(pos+2), 1/(neg+2)
	}
	f := make([]float64, len(pd))
	t := make([]float64, len(pd))
	wt := make([]float64, len(pd))
	var fmin, fmax = math.Inf(1), math.Inf(-1)
	for i := range pd {
		f[i] = models.Logit(pd[i])
		t[i] = lo
		if y[i] == 1 {
			t[i] = hi
		}
		wt[i] = 1
		if w != nil {
			wt[i] = w[i]
		}
		if wt[i] > 0 {
			fmin, fmax = math.Min(fmin, f[i]), math.Max(fmax, f[i])
		}
	}
	if !(fmax > fmin) {
		return nil, errors.New("calibrate: platt: every PD is the same; nothing to fit")
	}

	a, b := 0.0, math.Log((pos+1)/(neg+1))
	loss := plattLoss(f, t, wt, a, b)
	for range maxNewton {
		var gA, gB, hAA, hAB, hBB float64
		for i := range f {
			if wt[i] == 0 {
				continue
			}
			p := models.Sigmoid(a*f[i] + b)
			d := wt[i] * (p - t[i])
			gA += d * f[i]
			gB += d
			v := wt[i] * p * (1 - p)
			hAA += v * f[i] * f[i]
			hAB += v * f[i]
			hBB += v
		}
		det := hAA*hBB - hAB*hAB
		if !(det > 0) {
			return nil, errors.New("calibrate: platt: the fit is degenerate (PDs separate the classes?)")
		}
		dA := -(hBB*gA - hAB*gB) / det
		dB := -(-hAB*gA + hAA*gB) / det
		// The Newton decrement predicts the loss reduction; step halving
		// guards against overshooting far from the optimum.
		decrease := gA*dA + gB*dB // < 0
		step := 1.0
		var na, nb, nl float64
		for {
			na, nb = a+step*dA, b+step*dB
			nl = plattLoss(f, t, wt, na, nb)
			if nl <= loss+1e-4*step*decrease || step < 1e-10 {
				break
			}
			step /= 2
		}
		moved := math.Abs(na-a) + math.Abs(nb-b)
		a, b, loss = na, nb, nl
		if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
			break
		}
		if moved <= 1e-13*(1+math.Abs(a)+math.Abs(b)) {
			return &Platt{A: a, B: b, Smoothed: !opt.RawTargets}, nil
		}
	}
	return nil, errors.New("calibrate: platt: no convergence (PDs separate the classes?)")
}

// plattLoss is the weighted cross-entropy of targets t at z = a·f + b,
// written as softplus(z) − t·z so it stays finite for large |z|.
func plattLoss(f, t, w []float64, a, b float64) float64 {
	var s float64
	for i := range f {
		if w[i] == 0 {
			continue
		}
		z := a*f[i] + b
		s += w[i] * (softplus(z) - t[i]*z)
	}
	return s
}

// softplus is log(1 + e^z) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

// Calibrate returns the calibrated PD, or NaN when pd is not in [0, 1].
func (p *Platt) Calibrate(pd float64) float64 {
	if !(pd >= 0 && pd <= 1) {
		return math.NaN()
	}
	return models.Sigmoid(p.A*models.Logit(pd) + p.B)
}

// Method returns "platt".
func (*Platt) Method() string { return MethodPlatt }

// plattJSON is Platt's encoding.
type plattJSON struct {
	Method   string  `json:"method"`
	A        float64 `json:"a"`
	B        float64 `json:"b"`
	Smoothed bool    `json:"smoothed"`
}

// MarshalJSON writes {"method":"platt","a":…,"b":…,"smoothed":…}.
func (p Platt) MarshalJSON() ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("encode platt calibrator: %w", err)
	}
	return json.Marshal(plattJSON{Method: MethodPlatt, A: p.A, B: p.B, Smoothed: p.Smoothed})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Platt) UnmarshalJSON(b []byte) error {
	var v plattJSON
	if err := models.DecodeStrict(b, &v); err != nil {
		return err
	}
	if v.Method != MethodPlatt {
		return fmt.Errorf("method %q is not %q", v.Method, MethodPlatt)
	}
	*p = Platt{A: v.A, B: v.B, Smoothed: v.Smoothed}
	return nil
}

func (p Platt) check() error {
	if math.IsNaN(p.A) || math.IsInf(p.A, 0) || math.IsNaN(p.B) || math.IsInf(p.B, 0) {
		return fmt.Errorf("parameters a=%v, b=%v are not finite", p.A, p.B)
	}
	return nil
}
