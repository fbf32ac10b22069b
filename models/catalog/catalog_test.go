package catalog_test

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/blend"
	"github.com/credence-risk/credence/models/calibrate"
	"github.com/credence-risk/credence/models/catalog"
)

// sample is n rows of four features, one of them missing in one row in
// ten, with labels drawn from a logistic model of the first three.
func sample(n int, seed uint64) *models.Dataset {
	r := rand.New(rand.NewPCG(seed, 1))
	d := &models.Dataset{X: models.NewMatrix(n, []string{"dpd", "utilisation", "tenure", "noise"}), Y: make([]float64, n)}
	for i := range n {
		row := d.X.Row(i)
		for j := range row {
			row[j] = r.NormFloat64()
		}
		z := -2 + 1.2*row[0] + 0.8*row[1] - 0.5*row[2]
		if i%10 == 3 {
			row[1] = math.NaN()
		}
		if r.Float64() < models.Sigmoid(z) {
			d.Y[i] = 1
		}
	}
	return d
}

// TestFamiliesRoundTrip trains every registered family with its default
// configuration on a small sample, writes the artifact, reads it back
// through the catalog and compares the PDs bit for bit: a lossless round
// trip.
func TestFamiliesRoundTrip(t *testing.T) {
	train, valid, test := sample(1200, 1), sample(400, 2), sample(300, 3)
	seen := map[string]bool{}
	for _, f := range catalog.Families() {
		t.Run(f.Name, func(t *testing.T) {
			if seen[f.Name] {
				t.Fatalf("family %q is registered twice", f.Name)
			}
			seen[f.Name] = true
			if got, ok := catalog.Lookup(f.Name); !ok || got.Name != f.Name {
				t.Fatalf("Lookup(%q): got %q, %v; want the family", f.Name, got.Name, ok)
			}
			if f.Complexity < 1 {
				t.Errorf("%s declares no Complexity; the champion rule needs it", f.Name)
			}
			tr, err := f.Trainer(f.Default(), 7)
			if err != nil {
				t.Fatal(err)
			}
			m, err := tr.Fit(context.Background(), train, valid)
			if err != nil {
				t.Fatal(err)
			}
			if m.Family() != f.Name {
				t.Fatalf("model family: got %q; want %q", m.Family(), f.Name)
			}
			raw := make([]float64, valid.X.Rows)
			m.PDs(valid.X, raw)
			cal, err := calibrate.FitPlatt(raw, valid.Y, nil)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "model.json")
			if err := artifact.WriteFile(path, &artifact.Artifact{Model: m, Calibrator: cal, TrainingConfig: f.Default()}); err != nil {
				t.Fatal(err)
			}
			back, err := catalog.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if back.Family != f.Name || back.Model.Family() != f.Name {
				t.Fatalf("read back family %q, model family %q; want %q", back.Family, back.Model.Family(), f.Name)
			}
			want := make([]float64, test.X.Rows)
			(&artifact.Artifact{Model: m, Calibrator: cal}).PDs(test.X, want)
			got := make([]float64, test.X.Rows)
			back.PDs(test.X, got)
			for i := range want {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("row %d: PD read back %v; want %v (bit for bit)", i, got[i], want[i])
				}
				if pd := back.Model.PD(test.X.Row(i)); math.Float64bits(pd) != math.Float64bits(m.PD(test.X.Row(i))) {
					t.Fatalf("row %d: uncalibrated PD read back %v; want %v", i, pd, m.PD(test.X.Row(i)))
				}
			}
		})
	}
	if len(seen) == 0 {
		t.Fatal("no family registered")
	}
}

// TestFamilyTrainerRejectsUnknownFields: a family's configuration is
// decoded strictly, so a misspelt setting is an error, not a default.
func TestFamilyTrainerRejectsUnknownFields(t *testing.T) {
	for _, f := range catalog.Families() {
		if _, err := f.Trainer([]byte(`{"no_such_setting": 1}`), 1); err == nil {
			t.Errorf("%s: got no error for an unknown setting", f.Name)
		}
		if _, err := f.Trainer(nil, 1); err != nil {
			t.Errorf("%s: no configuration: got %v; want the defaults", f.Name, err)
		}
	}
}

// TestDecodersCoverFamilies: artifact decoding knows every family and
// their blend, and no other.
func TestDecodersCoverFamilies(t *testing.T) {
	dec := catalog.Decoders()
	names := append(catalog.Names(), blend.Name)
	if len(dec) != len(names) {
		t.Errorf("got %d decoders for %d families", len(dec), len(names))
	}
	for _, name := range names {
		if dec[name] == nil {
			t.Errorf("no decoder for %q", name)
		}
	}
}
