// Package models holds what every probability-of-default model family
// shares: the feature matrix they learn from, the Model interface that
// training, serving and rescoring call, per-prediction reasons and the
// Family each family declares itself with. The families (scorecard, gbdt,
// logistic) and the catalog that lists them, calibration, the master grade
// scale, validation metrics (eval) and versioned artifacts with their
// registry live in the packages below it.
package models

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Matrix is a dense row-major feature matrix; NaN marks a missing value.
type Matrix struct {
	Rows, Cols int
	Data       []float64
	Names      []string // one per column
}

// NewMatrix returns a zero matrix of rows × len(names).
func NewMatrix(rows int, names []string) *Matrix {
	return &Matrix{Rows: rows, Cols: len(names), Data: make([]float64, rows*len(names)), Names: names}
}

// Row returns row i, sharing memory with m.
func (m *Matrix) Row(i int) []float64 { return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols] }

// At returns the value at row i, column j.
func (m *Matrix) At(i, j int) float64 { return m.Data[i*m.Cols+j] }

// Dataset is a matrix with 0/1 default labels and optional weights.
type Dataset struct {
	X *Matrix
	Y []float64 // 1 = default within the horizon, 0 = none
	W []float64 // nil: every row weighs 1
}

// Check returns an error if d is malformed: label count, non-binary
// labels, negative weights, infinite features.
func (d *Dataset) Check() error {
	if d.X == nil || len(d.Y) != d.X.Rows || len(d.X.Data) != d.X.Rows*d.X.Cols {
		return fmt.Errorf("dataset: matrix and labels disagree")
	}
	if d.W != nil && len(d.W) != len(d.Y) {
		return fmt.Errorf("dataset: %d weights for %d rows", len(d.W), len(d.Y))
	}
	for i, y := range d.Y {
		if y != 0 && y != 1 {
			return fmt.Errorf("dataset: row %d: label %v is not 0 or 1", i+1, y)
		}
		if d.W != nil && !(d.W[i] >= 0) {
			return fmt.Errorf("dataset: row %d: weight %v is not >= 0", i+1, d.W[i])
		}
	}
	for k, v := range d.X.Data {
		if math.IsInf(v, 0) {
			return fmt.Errorf("dataset: row %d, feature %s is infinite", k/d.X.Cols+1, d.X.Names[k%d.X.Cols])
		}
	}
	return nil
}

// Subset returns the rows idx of d (copied).
func (d *Dataset) Subset(idx []int) *Dataset {
	out := &Dataset{X: NewMatrix(len(idx), d.X.Names), Y: make([]float64, len(idx))}
	if d.W != nil {
		out.W = make([]float64, len(idx))
	}
	for k, i := range idx {
		copy(out.X.Row(k), d.X.Row(i))
		out.Y[k] = d.Y[i]
		if d.W != nil {
			out.W[k] = d.W[i]
		}
	}
	return out
}

// Reason is one feature's part in a prediction: how much it moved the
// log-odds of default (scorecard: the points it lost against its best bin,
// converted to log-odds), largest first when returned by Reasons.
type Reason struct {
	Feature string  `json:"feature"`
	Value   float64 `json:"value"`  // the feature's value (NaN: missing)
	Effect  float64 `json:"effect"` // > 0 raises the PD
}

// Model predicts the probability of default of feature vectors laid out
// as the matrix it was fitted on. Implementations are safe for concurrent
// use once fitted.
type Model interface {
	// Family names the model family: the Name of its Family (the
	// families are listed in models/catalog).
	Family() string
	// Features names the columns the model expects, in order.
	Features() []string
	// PD returns the probability of default of one vector.
	PD(x []float64) float64
	// PDs writes the probability of default of every row of X to out.
	PDs(X *Matrix, out []float64)
	// Reasons returns up to n features that raised this PD the most,
	// largest effect first, only those with a positive effect.
	Reasons(x []float64, n int) []Reason
}

// BlockReasoner is a Model that gives the reasons of many rows at once
// faster than one at a time (gbdt: a tree's SHAP tables read from cache
// once per block of rows). ReasonsBlock returns, for each row of X (rows
// of len(Features()) values one after the other), what Reasons gives.
type BlockReasoner interface {
	ReasonsBlock(X []float64, n int) [][]Reason
}

// Contributor is a Model whose log-odds of default is a sum of one effect
// per feature and a bias: a linear model, or a GBDT through TreeSHAP. A
// blend of such models explains itself by the weighted sum of theirs.
type Contributor interface {
	// Contributions returns the effect of each feature of x on its
	// log-odds of default, in Features order, then the bias in the last
	// slot; they sum to the log-odds. dst is reused when it has room for
	// len(Features())+1 values.
	Contributions(x, dst []float64) []float64
}

// TopReasons returns up to n of the features whose effect raised the
// log-odds of x, largest first (ties in feature order): effects holds one
// per feature, in features order (a trailing bias is ignored).
func TopReasons(features []string, x, effects []float64, n int) []Reason {
	if n <= 0 {
		return nil
	}
	// The n largest by insertion: n is a few, the features many.
	top := make([]Reason, 0, n)
	for j, e := range effects[:len(features)] {
		if e <= 0 || len(top) == n && e <= top[n-1].Effect {
			continue
		}
		k := len(top)
		for k > 0 && top[k-1].Effect < e {
			k--
		}
		if len(top) < n {
			top = append(top, Reason{})
		}
		copy(top[k+1:], top[k:len(top)-1])
		top[k] = Reason{Feature: features[j], Value: x[j], Effect: e}
	}
	if len(top) == 0 {
		return nil
	}
	return top
}

// Trainer fits one model family. valid, when not nil, is for early
// stopping and must not be the data the model is judged on.
type Trainer interface {
	Fit(ctx context.Context, train, valid *Dataset) (Model, error)
}

// DecodeStrict decodes the one JSON value b holds into v, refusing
// unknown fields and anything after the value: a saved model or
// calibrator that does not read back exactly is not loaded.
func DecodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if len(bytes.TrimSpace(b[dec.InputOffset():])) > 0 {
		return errors.New("data after the JSON value")
	}
	return nil
}

// Logit is log(p / (1 − p)), clamped away from ±Inf.
func Logit(p float64) float64 {
	const eps = 1e-15
	p = math.Min(math.Max(p, eps), 1-eps)
	return math.Log(p / (1 - p))
}

// Sigmoid is 1 / (1 + e^−z).
func Sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
