package models

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	// data once cross-validation fitted models with config: a family that
	// stops early fixes what its rounds found (the number of trees), as
	// the refit has no rows left to stop on. Nil: config as it is.
	Refit func(config json.RawMessage, fitted []Model) (json.RawMessage, error)
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
			c := defaults()
			if len(bytes.TrimSpace(config)) > 0 {
				dec := json.NewDecoder(bytes.NewReader(config))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&c); err != nil {
					return nil, fmt.Errorf("%s configuration: %w", name, err)
				}
			}
			return trainer(c, seed), nil
		},
		Decode: decode,
	}
}
