// Package catalog lists Credence's model families and wires them and the
// calibrators into artifact decoding, so that training, every command and
// the server know the same families and load a stored model the same way.
package catalog

import (
	"maps"
	"slices"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/blend"
	"github.com/credence-risk/credence/models/calibrate"
	"github.com/credence-risk/credence/models/gbdt"
	"github.com/credence-risk/credence/models/logistic"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/models/scorecard"
)

// families are the model families Credence trains and loads, in the order
// training fits them (a tie for champion goes to the one listed first). A
// new family is a package that declares a models.Family and one line here.
var families = []models.Family{
	scorecard.Family,
	gbdt.Family,
	logistic.Family,
}

// Families returns the registered model families, in training order.
func Families() []models.Family { return slices.Clone(families) }

// Names returns the names of the registered families, in training order.
func Names() []string {
	names := make([]string, len(families))
	for i, f := range families {
		names[i] = f.Name
	}
	return names
}

// Lookup returns the family called name.
func Lookup(name string) (models.Family, bool) {
	for _, f := range families {
		if f.Name == name {
			return f, true
		}
	}
	return models.Family{}, false
}

// Decoders decodes every registered model family, and blends of them.
func Decoders() artifact.Decoders {
	d := artifact.Decoders{}
	for _, f := range families {
		d[f.Name] = f.Decode
	}
	members := maps.Clone(d)
	d[blend.Name] = func(b []byte) (models.Model, error) { return blend.Decode(b, members) }
	return d
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
