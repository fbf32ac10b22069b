// Package calibrate maps a model's raw probability of default to a
// calibrated one: a monotone function fitted on held-out data (never the
// rows the model was fitted on), so that the PD of a grade matches the
// default rate the grade goes on to show.
//
// Three methods are offered. Platt scaling fits a logistic regression of the
// default label on the logit of the raw PD: two parameters, smooth, hard
// to overfit, and right when the model ranks well but is uniformly too
// optimistic or too pessimistic. Isotonic regression fits any
// non-decreasing step function (pool adjacent violators): it follows the
// data closely and needs more of it; its interpolated form (Interpolated)
// joins the blocks' default rates with straight lines, so it keeps every
// distinction the model makes. Identity leaves PDs as they are.
//
// Every calibrator encodes itself as JSON in an envelope naming its
// method, {"method": "platt", ...}, and Decode reads any of them back; the
// floats are written in Go's shortest round-trip form, so a decoded
// calibrator gives bit-identical PDs.
package calibrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/credence-risk/credence/models"
)

// Calibrator maps a raw PD to a calibrated PD. Calibrate returns NaN for a
// PD that is NaN or outside [0, 1]: a bad input must not come out as a
// plausible PD.
type Calibrator interface {
	Calibrate(pd float64) float64
	// Method names the method: "platt", "isotonic",
	// "isotonic-interpolated" or "identity".
	Method() string
}

// Method names, as written in the JSON envelope.
const (
	MethodPlatt    = "platt"
	MethodIsotonic = "isotonic"
	MethodIdentity = "identity"
)

// ErrOneClass reports fitting data without both defaults and non-defaults
// (by weight): no calibration can be learnt from it.
var ErrOneClass = errors.New("calibrate: need both defaults and non-defaults")

// Identity is the calibrator that changes nothing.
type Identity struct{}

// Calibrate returns pd itself, or NaN when pd is not a probability.
func (Identity) Calibrate(pd float64) float64 {
	if !(pd >= 0 && pd <= 1) {
		return math.NaN()
	}
	return pd
}

// Method returns "identity".
func (Identity) Method() string { return MethodIdentity }

// MarshalJSON writes {"method":"identity"}.
func (Identity) MarshalJSON() ([]byte, error) {
	return json.Marshal(envelope{Method: MethodIdentity})
}

// envelope is the part of every encoding that names the method.
type envelope struct {
	Method string `json:"method"`
}

// Decode reads a calibrator written by the MarshalJSON of Platt, Isotonic
// or Identity, checking that its parameters describe a valid calibrator.
func Decode(b []byte) (Calibrator, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("decode calibrator: %w", err)
	}
	switch env.Method {
	case MethodPlatt:
		var p Platt
		if err := models.DecodeStrict(b, &p); err != nil {
			return nil, fmt.Errorf("decode platt calibrator: %w", err)
		}
		if err := p.check(); err != nil {
			return nil, fmt.Errorf("decode platt calibrator: %w", err)
		}
		return &p, nil
	case MethodIsotonic:
		var iso Isotonic
		if err := models.DecodeStrict(b, &iso); err != nil {
			return nil, fmt.Errorf("decode isotonic calibrator: %w", err)
		}
		if err := iso.check(); err != nil {
			return nil, fmt.Errorf("decode isotonic calibrator: %w", err)
		}
		return &iso, nil
	case MethodInterpolated:
		var c Interpolated
		if err := models.DecodeStrict(b, &c); err != nil {
			return nil, fmt.Errorf("decode interpolated calibrator: %w", err)
		}
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("decode interpolated calibrator: %w", err)
		}
		return &c, nil
	case MethodIdentity:
		var e envelope
		if err := models.DecodeStrict(b, &e); err != nil {
			return nil, fmt.Errorf("decode identity calibrator: %w", err)
		}
		return Identity{}, nil
	case "":
		return nil, errors.New("decode calibrator: no method")
	default:
		return nil, fmt.Errorf("decode calibrator: unknown method %q", env.Method)
	}
}

// checkFitInput validates the arrays a calibrator is fitted on and returns
// the total weight of defaults and of non-defaults.
func checkFitInput(pd, y, w []float64) (pos, neg float64, err error) {
	if len(pd) != len(y) {
		return 0, 0, fmt.Errorf("calibrate: %d PDs for %d labels", len(pd), len(y))
	}
	if w != nil && len(w) != len(y) {
		return 0, 0, fmt.Errorf("calibrate: %d weights for %d labels", len(w), len(y))
	}
	for i := range y {
		if !(pd[i] >= 0 && pd[i] <= 1) {
			return 0, 0, fmt.Errorf("calibrate: row %d: PD %v is not in [0, 1]", i+1, pd[i])
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
			if !(wi >= 0) || math.IsInf(wi, 1) {
				return 0, 0, fmt.Errorf("calibrate: row %d: weight %v is not finite and >= 0", i+1, wi)
			}
		}
		switch y[i] {
		case 1:
			pos += wi
		case 0:
			neg += wi
		default:
			return 0, 0, fmt.Errorf("calibrate: row %d: label %v is not 0 or 1", i+1, y[i])
		}
	}
	if !(pos > 0 && neg > 0) {
		return 0, 0, ErrOneClass
	}
	return pos, neg, nil
}

// Fit fits a calibrator of the named method ("isotonic-interpolated",
// "isotonic", "platt", "identity" or "none") on raw PDs and labels; floor
// is the smallest PD the isotonic methods give.
func Fit(method string, pd, y, w []float64, floor float64) (Calibrator, error) {
	switch method {
	case MethodInterpolated:
		return FitInterpolated(pd, y, w, floor)
	case MethodIsotonic:
		iso, err := FitIsotonic(pd, y, w)
		if err != nil {
			return nil, err
		}
		for i := range iso.Y {
			iso.Y[i] = math.Max(iso.Y[i], floor)
		}
		return iso, nil
	case MethodPlatt:
		return FitPlatt(pd, y, w)
	case "", "none", MethodIdentity:
		return Identity{}, nil
	}
	return nil, fmt.Errorf("unknown calibration %q (want %s, %s, %s or none)", method, MethodInterpolated, MethodIsotonic, MethodPlatt)
}
