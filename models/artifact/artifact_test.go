package artifact_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/artifact"
)

// sameBits reports whether two float slices are equal bit for bit.
func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	if len(raw) == 0 {
		return ""
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("compact %s: %v", raw, err)
	}
	return b.String()
}

func TestRoundTrip(t *testing.T) {
	set := testSet(t)
	tests := []struct {
		name string
		edit func(a *artifact.Artifact)
	}{
		{"full", func(*artifact.Artifact) {}},
		{"uncalibrated", func(a *artifact.Artifact) { a.Calibrator = nil }},
		{"bare matrix model", func(a *artifact.Artifact) { a.FeatureSet = nil }},
		{"no metadata", func(a *artifact.Artifact) {
			a.Version, a.Credence, a.DataFingerprint = "", "", ""
			a.Scale, a.Metrics, a.TrainingConfig, a.Notes = nil, nil, nil, nil
		}},
		{"null raw JSON", func(a *artifact.Artifact) { a.Metrics = json.RawMessage(" null ") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := testArtifact(set, 7)
			tt.edit(want)
			b := encode(t, want)
			got, err := artifact.Read(bytes.NewReader(b), testDecoders, decodePlatt)
			if err != nil {
				t.Fatal(err)
			}

			if got.Version != want.Version || got.Family != "linear" || got.Credence != want.Credence || got.DataFingerprint != want.DataFingerprint {
				t.Errorf("got version %q family %q credence %q fingerprint %q; want %q %q %q %q",
					got.Version, got.Family, got.Credence, got.DataFingerprint, want.Version, "linear", want.Credence, want.DataFingerprint)
			}
			if !got.Created.Equal(want.Created) {
				t.Errorf("got created %v; want %v", got.Created, want.Created)
			}
			for _, f := range []struct {
				name      string
				got, want json.RawMessage
			}{{"scale", got.Scale, want.Scale}, {"metrics", got.Metrics, want.Metrics}, {"training config", got.TrainingConfig, want.TrainingConfig}} {
				w := compact(t, f.want)
				if w == "null" {
					w = ""
				}
				if string(f.got) != w {
					t.Errorf("got %s %s; want %s", f.name, f.got, w)
				}
			}
			if len(got.Notes) != len(want.Notes) {
				t.Errorf("got notes %v; want %v", got.Notes, want.Notes)
			}
			for k, v := range want.Notes {
				if got.Notes[k] != v {
					t.Errorf("got note %q = %q; want %q", k, got.Notes[k], v)
				}
			}
			if wantSum := "sha256:" + contentSum(b); got.Checksum != wantSum {
				t.Errorf("got checksum %s; want %s", got.Checksum, wantSum)
			}

			gm, wm := got.Model.(*linear), want.Model.(*linear)
			if !slices.Equal(gm.Names, wm.Names) || !sameBits(gm.Weights, wm.Weights) || !sameBits(gm.Constants, wm.Constants) ||
				math.Float64bits(gm.Bias) != math.Float64bits(wm.Bias) {
				t.Errorf("got model %+v; want %+v", gm, wm)
			}
			if (got.Calibrator == nil) != (want.Calibrator == nil) {
				t.Fatalf("got calibrator %v; want %v", got.Calibrator, want.Calibrator)
			}
			if want.Calibrator != nil && *got.Calibrator.(*platt) != *want.Calibrator.(*platt) {
				t.Errorf("got calibrator %+v; want %+v", got.Calibrator, want.Calibrator)
			}
			if (got.FeatureSet == nil) != (want.FeatureSet == nil) {
				t.Fatalf("got feature set %v; want %v", got.FeatureSet, want.FeatureSet)
			}
			if want.FeatureSet != nil && (got.FeatureSet.Version != want.FeatureSet.Version || !slices.Equal(got.FeatureSet.Names(), want.FeatureSet.Names())) {
				t.Errorf("got feature set %s %q; want %s %q", got.FeatureSet.Version, got.FeatureSet.Names(), want.FeatureSet.Version, want.FeatureSet.Names())
			}

			// The served PD is the validated PD, bit for bit.
			rng := rand.New(rand.NewPCG(3, 4))
			X := models.NewMatrix(200, wm.Names)
			for i := range X.Data {
				if X.Data[i] = rng.NormFloat64() * 3; rng.IntN(10) == 0 {
					X.Data[i] = math.NaN()
				}
			}
			gotPD, wantPD := make([]float64, X.Rows), make([]float64, X.Rows)
			got.PDs(X, gotPD)
			want.PDs(X, wantPD)
			if !sameBits(gotPD, wantPD) {
				t.Errorf("got PDs %v; want %v", gotPD[:5], wantPD[:5])
			}
			for i := range X.Rows {
				if p := got.PD(X.Row(i)); math.Float64bits(p) != math.Float64bits(wantPD[i]) {
					t.Fatalf("row %d: got PD %v; want %v", i, p, wantPD[i])
				}
			}

			// Reading then writing gives the same bytes.
			if again := encode(t, got); !bytes.Equal(again, b) {
				t.Errorf("rewriting a read artifact changed its bytes:\n%s\nwant\n%s", again, b)
			}
		})
	}
}

func TestPDCalibrates(t *testing.T) {
	a := testArtifact(testSet(t), 1)
	x := make([]float64, len(a.Model.Features()))
	for i := range x {
		x[i] = float64(i%5) - 2
	}
	raw := a.Model.PD(x)
	if got, want := a.PD(x), a.Calibrator.Calibrate(raw); got != want {
		t.Errorf("got PD %v; want calibrated %v", got, want)
	}
	a.Calibrator = nil
	if got := a.PD(x); got != raw {
		t.Errorf("uncalibrated: got PD %v; want the model's %v", got, raw)
	}
}

func TestDeterministic(t *testing.T) {
	set := testSet(t)
	a, b := testArtifact(set, 11), testArtifact(set, 11)
	// The same notes, inserted in another order.
	b.Notes = map[string]string{}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range a.Notes {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range slices.Backward(keys) {
		b.Notes[k] = a.Notes[k]
	}
	first := encode(t, a)
	for i := range 5 {
		if got := encode(t, b); !bytes.Equal(got, first) {
			t.Fatalf("write %d: bytes differ for equal artifacts", i)
		}
	}
	if other := encode(t, testArtifact(set, 12)); bytes.Equal(other, first) {
		t.Errorf("different models wrote the same bytes")
	}
}

func TestLayout(t *testing.T) {
	b := encode(t, testArtifact(testSet(t), 1))
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if !strings.HasPrefix(lines[1], `  "checksum": "sha256:`) || lines[2] != `  "format": "credence-model/1",` {
		t.Errorf("got first lines %q; want the checksum, then the format", lines[:3])
	}
	// The payloads are the last keys, each on one line, so that the
	// metadata above them is all a reader sees with head.
	n := len(lines)
	for i, key := range []string{"feature_set", "calibrator", "model"} {
		if line := lines[n-4+i]; !strings.HasPrefix(line, `  "`+key+`": {`) {
			t.Errorf("line %d: got %.40q; want the %s payload", n-3+i, line, key)
		}
	}
	if lines[n-1] != "}" {
		t.Errorf("got last line %q; want }", lines[n-1])
	}
	if !json.Valid(b) {
		t.Errorf("the file is not valid JSON")
	}
}

func TestCorrupt(t *testing.T) {
	good := encode(t, testArtifact(testSet(t), 5))
	read := func(b []byte) error {
		_, err := artifact.Read(bytes.NewReader(b), testDecoders, decodePlatt)
		return err
	}
	// Every flipped bit anywhere is caught, the checksum's own included.
	for i := range good {
		for _, mask := range []byte{0x01, 0x20, 0x80} {
			b := slices.Clone(good)
			b[i] ^= mask
			if err := read(b); !errors.Is(err, artifact.ErrCorrupt) {
				t.Fatalf("byte %d ^ %#x: got error %v; want ErrCorrupt", i, mask, err)
			}
		}
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"truncated header", good[:30]},
		{"truncated", good[:len(good)/2]},
		{"missing final newline", good[:len(good)-1]},
		{"appended", append(slices.Clone(good), "{}"...)},
		{"reindented", bytes.ReplaceAll(good, []byte("\n  \"format\""), []byte("\n    \"format\""))},
		{"not an artifact", []byte(`{"model": {}}`)},
		{"resealed non-artifact", reseal([]byte("{\n  \"checksum\": \"sha256:" + strings.Repeat("0", 64) + "\",\n  \"model\": [\n}\n"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := read(tt.b)
			if !errors.Is(err, artifact.ErrCorrupt) {
				t.Fatalf("got error %v; want ErrCorrupt", err)
			}
			if _, err := artifact.ReadManifest(bytes.NewReader(tt.b)); !errors.Is(err, artifact.ErrCorrupt) {
				t.Errorf("ReadManifest: got error %v; want ErrCorrupt", err)
			}
		})
	}
	if err := read(good); err != nil {
		t.Fatalf("the unaltered file: %v", err)
	}
}

func TestCorruptMessage(t *testing.T) {
	b := encode(t, testArtifact(testSet(t), 5))
	b[len(b)/2] ^= 1
	_, err := artifact.Read(bytes.NewReader(b), testDecoders, decodePlatt)
	if err == nil || !strings.Contains(err.Error(), "checksum") || !strings.Contains(err.Error(), "altered or truncated") {
		t.Errorf("got error %v; want one naming the checksum mismatch", err)
	}
}

func TestFeatureSetVersion(t *testing.T) {
	set := testSet(t)
	good := encode(t, testArtifact(set, 2))
	stale := "pit-0-0123456789ab"
	b := reseal(bytes.ReplaceAll(good, []byte(set.Version), []byte(stale)))
	_, err := artifact.Read(bytes.NewReader(b), testDecoders, decodePlatt)
	if !errors.Is(err, features.ErrVersion) {
		t.Fatalf("got error %v; want one wrapping features.ErrVersion", err)
	}
	if errors.Is(err, artifact.ErrCorrupt) {
		t.Errorf("got ErrCorrupt for an intact file from another build: %v", err)
	}
	for _, want := range []string{stale, set.Version, "v0003", "1.4.2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got error %q; want it to name %q", err, want)
		}
	}
	// The manifest still reads, so that `models show` can explain.
	m, err := artifact.ReadManifest(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if m.FeatureSetVersion != stale {
		t.Errorf("got manifest feature set version %q; want %q", m.FeatureSetVersion, stale)
	}
}

func TestReadErrors(t *testing.T) {
	set := testSet(t)
	good := encode(t, testArtifact(set, 3))
	failing := func([]byte) (models.Model, error) { return nil, errors.New("bad trees") }
	wrongFamily := func(b []byte) (models.Model, error) {
		m, err := decodeLinear(b)
		return &renamed{m.(*linear)}, err
	}
	fewer := func(b []byte) (models.Model, error) {
		m, err := decodeLinear(b)
		l := m.(*linear)
		l.Names, l.Weights = l.Names[1:], l.Weights[1:]
		return l, err
	}
	tests := []struct {
		name    string
		b       []byte
		dec     artifact.Decoders
		cal     artifact.CalibratorDecoder
		wantErr error    // nil: any error
		want    []string // in the message
	}{
		{"unknown family", good, artifact.Decoders{"gbdt": failing, "scorecard": failing}, decodePlatt, artifact.ErrUnknownFamily, []string{`"linear"`, "gbdt, scorecard"}},
		{"no decoders", good, nil, decodePlatt, artifact.ErrUnknownFamily, []string{`"linear"`, "none"}},
		{"newer format", reseal(bytes.Replace(good, []byte(artifact.Format), []byte("credence-model/9"), 1)), testDecoders, decodePlatt, artifact.ErrFormat, []string{"credence-model/9", artifact.Format}},
		{"no calibrator decoder", good, testDecoders, nil, nil, []string{`"platt" calibrator`}},
		{"calibrator decoder fails", good, testDecoders, func([]byte) (artifact.Calibrator, error) { return nil, errors.New("no knots") }, nil, []string{"no knots"}},
		{"calibrator method differs", good, testDecoders, func(b []byte) (artifact.Calibrator, error) { return isotonic{}, nil }, nil, []string{`"isotonic"`, `"platt"`}},
		{"model decoder fails", good, artifact.Decoders{"linear": failing}, decodePlatt, nil, []string{"bad trees"}},
		{"decoder gives another family", good, artifact.Decoders{"linear": wrongFamily}, decodePlatt, nil, []string{`"other"`}},
		{"feature count differs", good, artifact.Decoders{"linear": fewer}, decodePlatt, nil, []string{"features"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := artifact.Read(bytes.NewReader(tt.b), tt.dec, tt.cal)
			if err == nil {
				t.Fatalf("got artifact %v; want an error", a.Family)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("got error %v; want %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q; want it to contain %s", err, w)
				}
			}
		})
	}
}

type renamed struct{ *linear }

func (renamed) Family() string { return "other" }

type isotonic struct{}

func (isotonic) Calibrate(pd float64) float64 { return pd }
func (isotonic) Method() string               { return "isotonic" }

func TestWriteErrors(t *testing.T) {
	set := testSet(t)
	tests := []struct {
		name string
		edit func(a *artifact.Artifact)
		want string
	}{
		{"no model", func(a *artifact.Artifact) { a.Model = nil }, "no model"},
		{"family differs", func(a *artifact.Artifact) { a.Family = "gbdt" }, `"gbdt"`},
		{"invalid metrics", func(a *artifact.Artifact) { a.Metrics = json.RawMessage(`{"auc": }`) }, "metrics"},
		{"invalid scale", func(a *artifact.Artifact) { a.Scale = json.RawMessage(`[1, 2`) }, "scale"},
		{"invalid UTF-8 note", func(a *artifact.Artifact) { a.Notes["bad"] = "\xff" }, "UTF-8"},
		{"unencodable model", func(a *artifact.Artifact) { a.Model.(*linear).Bias = math.NaN() }, "model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testArtifact(set, 4)
			tt.edit(a)
			var b bytes.Buffer
			err := artifact.Write(&b, a)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v; want one containing %s", err, tt.want)
			}
			if b.Len() != 0 {
				t.Errorf("got %d bytes written on error; want none", b.Len())
			}
		})
	}
	if err := artifact.Write(new(bytes.Buffer), nil); err == nil {
		t.Errorf("nil artifact: got no error")
	}
}

func TestFiles(t *testing.T) {
	set := testSet(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	for seed := range uint64(2) { // the second write replaces the first
		want := testArtifact(set, seed)
		if err := artifact.WriteFile(path, want); err != nil {
			t.Fatal(err)
		}
		got, err := artifact.ReadFile(path, testDecoders, decodePlatt)
		if err != nil {
			t.Fatal(err)
		}
		if gw, ww := got.Model.(*linear).Weights, want.Model.(*linear).Weights; !sameBits(gw, ww) {
			t.Errorf("seed %d: got weights %v; want %v", seed, gw[:3], ww[:3])
		}
		m, err := artifact.ReadManifestFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if m.Checksum != got.Checksum || m.Family != "linear" || m.Features != set.Len() || m.Calibration != "platt" || m.FeatureSetVersion != set.Version {
			t.Errorf("got manifest %+v; want checksum %s, linear, %d features, platt, %s", m, got.Checksum, set.Len(), set.Version)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("got %d files in the directory; want only model.json (no temporary files left)", len(entries))
	}

	// A failed write leaves the old file and no temporary file.
	bad := testArtifact(set, 9)
	bad.Metrics = json.RawMessage("{")
	if err := artifact.WriteFile(path, bad); err == nil {
		t.Fatal("got no error writing invalid metrics")
	}
	if _, err := artifact.ReadFile(path, testDecoders, decodePlatt); err != nil {
		t.Errorf("after a failed write: %v", err)
	}
	if err := artifact.WriteFile(filepath.Join(dir, "missing", "model.json"), testArtifact(set, 1)); err == nil {
		t.Errorf("got no error writing into a missing directory")
	}
	if _, err := artifact.ReadFile(filepath.Join(dir, "absent.json"), testDecoders, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got error %v; want os.ErrNotExist", err)
	}
}
