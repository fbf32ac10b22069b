// Package artifact stores a validated probability-of-default model, with
// everything needed to serve it exactly as it was validated, in one
// self-checking file.
//
// An artifact holds the fitted model, its calibrator, the master grade
// scale, the feature set it reads, the training configuration, a
// fingerprint of the training data, the validation metrics and free-form
// notes. Serving, rescoring and revalidation load the same file, so the
// PD a customer gets is the PD that was validated.
//
// # Format
//
// The file is one JSON object, written with a fixed key order and one
// top-level key per line:
//
//	{
//	  "checksum": "sha256:<64 hex digits>",
//	  "format": "credence-model/1",
//	  "version": "v0007",
//	  "created": "2026-01-31T09:00:00Z",
//	  "family": "gbdt",
//	  ...metadata, indented...
//	  "feature_set": {...},
//	  "calibrator": {...},
//	  "model": {...}
//	}
//
// The metadata comes first, indented (arrays of numbers or strings stay on
// one line), so that head shows it; the three payloads come last, each
// compact on one line. The checksum is the
// SHA-256 of the file's bytes with the 64 hex digits of the checksum itself
// left out, so every other byte is covered and a shell can check it:
//
//	sed -E '2s/[0-9a-f]{64}//' model.json | sha256sum
//
// Write produces the same bytes for equal artifacts: the key order is
// fixed, maps are written with sorted keys, and the raw JSON parts
// (metrics, training config, grade scale) are re-indented, never
// reordered. Floats are written in Go's shortest round-trip form, so they
// read back bit for bit.
//
// # Decoding
//
// This package does not import the model families or calibration: the
// caller passes Decoders (family name → decoder) and a CalibratorDecoder,
// which the binary wires to models/gbdt, models/scorecard,
// models/logistic and models/calibrate. The grade scale is kept as raw
// JSON for models/grade to decode, for the same reason.
package artifact

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models"
)

// Format names the file layout this package writes and reads.
const Format = "credence-model/1"

// MaxSize is the largest artifact file Read accepts.
const MaxSize = 1 << 30

var (
	// ErrCorrupt reports a file that is not an intact artifact: its
	// checksum does not match its content, it is truncated, or it is not
	// an artifact at all.
	ErrCorrupt = errors.New("artifact corrupt")
	// ErrFormat reports an artifact written in a format this build of
	// Credence does not read.
	ErrFormat = errors.New("artifact format not supported")
	// ErrUnknownFamily reports a model family the caller gave no decoder
	// for.
	ErrUnknownFamily = errors.New("unknown model family")
)

// Calibrator maps a model's raw PD to a calibrated PD. The calibrators of
// models/calibrate satisfy it.
type Calibrator interface {
	Calibrate(pd float64) float64
	// Method names the calibration method, e.g. "isotonic" or "platt".
	Method() string
}

// Decoders maps a model family to the decoder of its JSON encoding (the
// binary wires gbdt, scorecard and logistic).
type Decoders map[string]func([]byte) (models.Model, error)

// CalibratorDecoder decodes a calibrator's JSON encoding.
type CalibratorDecoder func([]byte) (Calibrator, error)

// Artifact is a model as it was validated and exactly as it is served.
type Artifact struct {
	// Version is assigned by the registry, e.g. "v0007"; empty outside it.
	Version string
	// Created is when the model was registered (stored in UTC).
	Created time.Time
	// Family is the model family; empty means Model.Family().
	Family string
	// Model is the fitted model. It must encode itself as JSON
	// deterministically (encoding/json does).
	Model models.Model
	// Calibrator maps Model's PD to the served PD; nil means none.
	Calibrator Calibrator
	// Scale is the master grade scale as models/grade encodes it, or nil.
	Scale json.RawMessage
	// FeatureSet is the feature set the model reads. Serving needs it;
	// a model fitted on a bare matrix may leave it nil.
	FeatureSet *features.Set
	// TrainingConfig is the training configuration, so the model can be
	// rebuilt; opaque here.
	TrainingConfig json.RawMessage
	// DataFingerprint is the SHA-256 of the training data as the trainer
	// computed it.
	DataFingerprint string
	// Metrics are the validation metrics; opaque here.
	Metrics json.RawMessage
	// Notes are free-form key/value annotations.
	Notes map[string]string
	// Credence is the version of Credence that wrote the artifact.
	Credence string
	// Checksum is the file's checksum ("sha256:…"), set by Read; Write
	// ignores it.
	Checksum string
}

// PD returns the calibrated probability of default of one feature vector
// laid out as Model.Features().
func (a *Artifact) PD(x []float64) float64 {
	pd := a.Model.PD(x)
	if a.Calibrator != nil {
		pd = a.Calibrator.Calibrate(pd)
	}
	return pd
}

// PDs writes the calibrated probability of default of every row of X to
// out.
func (a *Artifact) PDs(X *models.Matrix, out []float64) {
	a.Model.PDs(X, out)
	if a.Calibrator != nil {
		for i := range out[:X.Rows] {
			out[i] = a.Calibrator.Calibrate(out[i])
		}
	}
}

// Manifest is an artifact's metadata: what `credence models show` and the
// registry's listing print, read without decoding the model.
type Manifest struct {
	Checksum string    `json:"checksum"`
	Format   string    `json:"format"`
	Version  string    `json:"version,omitempty"`
	Created  time.Time `json:"created"`
	Family   string    `json:"family"`
	Credence string    `json:"credence,omitempty"`
	// Features is the number of features the model reads.
	Features          int    `json:"features"`
	FeatureSetVersion string `json:"feature_set_version,omitempty"`
	// Calibration is the calibrator's method; empty when there is none.
	Calibration     string            `json:"calibration,omitempty"`
	DataFingerprint string            `json:"data_fingerprint,omitempty"`
	Notes           map[string]string `json:"notes,omitempty"`
	Metrics         json.RawMessage   `json:"metrics,omitempty"`
	TrainingConfig  json.RawMessage   `json:"training_config,omitempty"`
	Scale           json.RawMessage   `json:"scale,omitempty"`
}
