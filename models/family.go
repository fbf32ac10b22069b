package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// Family declares one model family to the rest of Credence: training fits
// it with a Trainer made from its configuration, and artifact loading reads
// its models back with Decode. Each family declares itself once, in its own
// package (gbdt.Family, scorecard.Family, logistic.Family); models/catalog
// lists the families Credence knows.
type Family struct {
	// Name is what the family's models return from Model.Family, the name
	// stored in artifacts and the key of its configuration in a training
	// configuration.
	Name string
	// Default returns the configuration training starts from, as JSON.
	Default func() json.RawMessage
	// Trainer returns a trainer for config, JSON decoded over Default:
	// fields it leaves out keep their default, unknown fields are an
	// error. seed seeds what the configuration leaves unseeded.
	Trainer func(config json.RawMessage, seed uint64) (Trainer, error)
	// Decode reads a model the family wrote with json.Marshal.
	Decode func(b []byte) (Model, error)
	// Refit, when set, returns the configuration to refit with on all the
	// data (rows observations) once cross-validation fitted models with
	// config: a family that stops early fixes what its rounds found (the
	// number of trees), as the refit has no rows left to stop on. Nil:
	// config as it is.
	Refit func(config json.RawMessage, fitted []Model, rows int) (json.RawMessage, error)
	// Tuning, when set, is the family's hyperparameter search space and
	// the cost model that sizes it; nil: training never tunes the family.
	Tuning *Tuning
	// Complexity orders the families for the champion rule's one-standard-
	// error rule (among families whose cross-validated AUC is within one
	// standard error of the best, the least complex wins): a linear model
	// 1, a binned (scorecard) model 2, an ensemble of trees 3.
	Complexity int
}

// NewFamily declares a family whose configuration is a C, stored as its
// JSON: defaults is the configuration training starts from, trainer makes
// a Trainer of a configuration and a seed, decode reads a stored model.
func NewFamily[C any](name string, defaults func() C, trainer func(c C, seed uint64) Trainer, decode func([]byte) (Model, error)) Family {
	return Family{
		Name: name,
		Default: func() json.RawMessage {
			b, err := json.Marshal(defaults())
			if err != nil {
				panic(fmt.Sprintf("%s: default configuration: %v", name, err))
			}
			return b
		},
		Trainer: func(config json.RawMessage, seed uint64) (Trainer, error) {
			c, err := DecodeConfig(name, defaults, config)
			if err != nil {
				return nil, err
			}
			return trainer(c, seed), nil
		},
		Decode: decode,
	}
}

// DecodeConfig reads a family's configuration as its Trainer does: the
// JSON config decoded over defaults(), fields it leaves out keeping their
// default, unknown fields an error naming the family.
func DecodeConfig[C any](name string, defaults func() C, config json.RawMessage) (C, error) {
	c := defaults()
	if len(bytes.TrimSpace(config)) > 0 {
		if err := DecodeStrict(config, &c); err != nil {
			return c, fmt.Errorf("%s configuration: %w", name, err)
		}
	}
	return c, nil
}

// Tuning declares a family's hyperparameter search to training: what to
// try around a configuration and what one fit costs. Training searches
// within a budget by successive halving and judges every candidate by
// cross-validated AUC; a family without Tuning is trained as configured.
type Tuning struct {
	// Space is the most distinct candidates Candidates gives.
	Space int
	// Candidates returns config followed by up to n−1 distinct variations
	// of it, the same ones for the same seed. The variations change only
	// the hyperparameters the family tunes and keep every other setting
	// of config (monotone constraints, say) as it is.
	Candidates func(config json.RawMessage, n int, seed uint64) ([]json.RawMessage, error)
	// Cost estimates the seconds one fit of config takes on rows rows of
	// cols features on the reference machine (2 vCPUs), with stop rows
	// scored after every round where the family stops early. It is a
	// model of the work, not a measurement, so that a budget buys the
	// same work on any machine at any load.
	Cost func(config json.RawMessage, rows, stop, cols int) float64
}

// Vary returns base followed by up to n−1 distinct variations of it, each
// made by mutate from a copy of base with a random source seeded by seed;
// distinct by their JSON. It gives up drawing after 50·n tries, so a
// space smaller than n yields all it has.
func Vary[C any](base C, n int, seed uint64, mutate func(c *C, r *rand.Rand)) ([]json.RawMessage, error) {
	first, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	out := []json.RawMessage{first}
	seen := map[string]bool{string(first): true}
	r := rand.New(rand.NewPCG(seed, 0x7475_6e65))
	for try := 0; len(out) < n && try < 50*n; try++ {
		c := base
		mutate(&c, r)
		b, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		if !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, b)
		}
	}
	return out, nil
}

// Pick returns one of values, drawn by r.
func Pick[T any](r *rand.Rand, values ...T) T { return values[r.IntN(len(values))] }
