package logistic

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/credence-risk/credence/models"
)

// formatVersion is the layout version of the JSON form.
const formatVersion = 1

// modelJSON is the saved form of a Model. encoding/json writes float64 in
// the shortest form that parses back to the same bits, so a saved model
// predicts exactly as the one it came from.
type modelJSON struct {
	Family     string    `json:"family"`
	Version    int       `json:"version"`
	Features   []string  `json:"features"`
	Mean       []float64 `json:"mean"`  // imputation value and centre
	Scale      []float64 `json:"scale"` // standard deviation (1 if constant)
	Coef       []float64 `json:"coef"`  // per standardised feature
	Intercept  float64   `json:"intercept"`
	Config     Config    `json:"config"`
	Iterations int       `json:"iterations"`
	Converged  bool      `json:"converged"`
}

// MarshalJSON writes the model in the form Decode reads.
func (m *Model) MarshalJSON() ([]byte, error) {
	return json.Marshal(modelJSON{
		Family:     Name,
		Version:    formatVersion,
		Features:   m.features,
		Mean:       m.mean,
		Scale:      m.scale,
		Coef:       m.coef,
		Intercept:  m.intercept,
		Config:     m.config,
		Iterations: m.iterations,
		Converged:  m.converged,
	})
}

// Decode reads a model written by MarshalJSON.
func Decode(b []byte) (models.Model, error) {
	var j modelJSON
	if err := models.DecodeStrict(b, &j); err != nil {
		return nil, fmt.Errorf("logistic: decode: %w", err)
	}
	if j.Family != Name {
		return nil, fmt.Errorf("logistic: decode: family %q; want %q", j.Family, Name)
	}
	if j.Version != formatVersion {
		return nil, fmt.Errorf("logistic: decode: version %d; want %d", j.Version, formatVersion)
	}
	n := len(j.Features)
	if len(j.Mean) != n || len(j.Scale) != n || len(j.Coef) != n {
		return nil, fmt.Errorf("logistic: decode: %d features with %d means, %d scales, %d coefficients",
			n, len(j.Mean), len(j.Scale), len(j.Coef))
	}
	seen := make(map[string]bool, n)
	for k, name := range j.Features {
		if seen[name] {
			return nil, fmt.Errorf("logistic: decode: feature %q twice", name)
		}
		seen[name] = true
		if !isFinite(j.Mean[k]) || !isFinite(j.Coef[k]) || !(j.Scale[k] > 0) || math.IsInf(j.Scale[k], 1) {
			return nil, fmt.Errorf("logistic: decode: feature %q: mean %v, scale %v, coefficient %v",
				name, j.Mean[k], j.Scale[k], j.Coef[k])
		}
	}
	if !isFinite(j.Intercept) {
		return nil, fmt.Errorf("logistic: decode: intercept %v", j.Intercept)
	}
	return &Model{
		features:   j.Features,
		mean:       j.Mean,
		scale:      j.Scale,
		coef:       j.Coef,
		intercept:  j.Intercept,
		config:     j.Config,
		iterations: j.Iterations,
		converged:  j.Converged,
	}, nil
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
