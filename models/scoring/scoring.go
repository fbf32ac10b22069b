// Package scoring turns one customer's history into what a credit system
// acts on: the stored model's PD, the grade on the master scale, the score
// in points and the reasons. The gRPC server and batch rescoring both
// score through it, with the features training used.
package scoring

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/grade"
)

// Scorer scores histories with one model. It is safe for concurrent use.
type Scorer struct {
	Artifact *artifact.Artifact
	Set      *features.Set
	Scale    grade.Scale
	Points   grade.Points
	// DPDThreshold is the default rule of the model's training (0: the
	// book's recorded defaults alone, as training used them); a customer
	// whose first default falls on or before the scoring date is in grade 10.
	DPDThreshold int
}

// Result is one customer's score.
type Result struct {
	PD      float64
	Grade   int
	Score   float64
	Reasons []models.Reason
	// InDefault: the customer had defaulted on or before the scoring
	// date; PD is 1 and the grade is the default grade.
	InDefault bool
	// Features are the vector the model scored, for callers that need a
	// feature (expected days beyond terms for a credit limit).
	Features []float64
}

// New prepares a scorer for histories from a book whose customers table
// is laid out by schema.
func New(art *artifact.Artifact, schema datasets.CustomerSchema) (*Scorer, error) {
	if art.FeatureSet == nil {
		return nil, fmt.Errorf("model %s has no feature set: it cannot score histories", art.Version)
	}
	set, err := art.FeatureSet.ForSchema(schema)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", art.Version, err)
	}
	s := &Scorer{Artifact: art, Set: set, Scale: grade.DefaultScale(), Points: grade.DefaultPoints()}
	if len(art.Scale) > 0 {
		if err := json.Unmarshal(art.Scale, &s.Scale); err != nil {
			return nil, fmt.Errorf("model %s: scale: %w", art.Version, err)
		}
	}
	if err := s.Scale.Validate(); err != nil {
		return nil, fmt.Errorf("model %s: %w", art.Version, err)
	}
	var cfg struct {
		Observations struct {
			DPDThreshold int `json:"dpd_threshold"`
		} `json:"observations"`
	}
	if len(art.TrainingConfig) > 0 {
		if err := json.Unmarshal(art.TrainingConfig, &cfg); err != nil {
			return nil, fmt.Errorf("model %s: training config: %w", art.Version, err)
		}
	}
	s.DPDThreshold = max(cfg.Observations.DPDThreshold, 0)
	if got, want := len(art.Model.Features()), set.Len(); got != want {
		return nil, fmt.Errorf("model %s reads %d features; its feature set has %d", art.Version, got, want)
	}
	return s, nil
}

// Version is the model's registry version.
func (s *Scorer) Version() string { return s.Artifact.Version }

// Score scores h as of asOf with up to reasons reasons. buf, when large
// enough, holds the feature vector (Result.Features aliases it).
func (s *Scorer) Score(h *datasets.History, asOf datasets.Date, reasons int, buf []float64) (Result, error) {
	if asOf == datasets.NoDate {
		return Result{}, fmt.Errorf("score %s: no as-of date", h.CustomerID)
	}
	x := s.Set.Build(h, asOf, buf[:0])
	r := Result{Features: x}
	if d := features.DefaultDate(h, s.DPDThreshold); d != datasets.NoDate && d <= asOf {
		r.InDefault, r.PD, r.Grade = true, 1, grade.DefaultGrade
		r.Score = s.Points.Score(1)
		return r, nil
	}
	r.PD = s.Artifact.PD(x)
	if math.IsNaN(r.PD) {
		return Result{}, fmt.Errorf("score %s: the model gave no PD", h.CustomerID)
	}
	r.Grade = s.Scale.Grade(r.PD)
	r.Score = s.Points.Score(r.PD)
	if reasons > 0 {
		r.Reasons = s.Artifact.Model.Reasons(x, reasons)
	}
	return r, nil
}
