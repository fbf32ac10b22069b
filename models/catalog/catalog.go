// Package catalog wires Credence's model families and calibrators into
// artifact decoding, so that every command and the server load a stored
// model the same way.
package catalog

import (
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/calibrate"
	"github.com/credence-risk/credence/models/gbdt"
	"github.com/credence-risk/credence/models/logistic"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/models/scorecard"
)

// Decoders decodes every model family Credence trains.
func Decoders() artifact.Decoders {
	return artifact.Decoders{
		"gbdt":      gbdt.Decode,
		"scorecard": scorecard.Decode,
		"logistic":  logistic.Decode,
	}
}

// Calibrator decodes a stored calibrator.
func Calibrator(b []byte) (artifact.Calibrator, error) {
	return calibrate.Decode(b)
}

// Load reads the model ref ("champion", "v0003", "latest") of a registry.
func Load(r *registry.Registry, ref string) (*artifact.Artifact, error) {
	return r.Load(ref, Decoders(), Calibrator)
}

// ReadFile reads an artifact file outside a registry.
func ReadFile(path string) (*artifact.Artifact, error) {
	return artifact.ReadFile(path, Decoders(), Calibrator)
}
