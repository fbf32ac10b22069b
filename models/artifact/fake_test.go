package artifact_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/artifact"
)

// linear is a small model family for tests: a logistic model whose JSON
// carries every weight, so a lossy round trip shows in the PD bits.
type linear struct {
	Names   []string  `json:"names"`
	Weights []float64 `json:"weights"`
	Bias    float64   `json:"bias"`
	// Constants are stored but unused by PD: awkward floats that must
	// survive the round trip bit for bit.
	Constants []float64 `json:"constants"`
}

func (m *linear) Family() string     { return "linear" }
func (m *linear) Features() []string { return m.Names }

func (m *linear) PD(x []float64) float64 {
	z := m.Bias
	for i, w := range m.Weights {
		if !math.IsNaN(x[i]) {
			z += w * x[i]
		}
	}
	return models.Sigmoid(z)
}

func (m *linear) PDs(X *models.Matrix, out []float64) {
	for i := range X.Rows {
		out[i] = m.PD(X.Row(i))
	}
}

func (m *linear) Reasons([]float64, int) []models.Reason { return nil }

func (m *linear) MarshalJSON() ([]byte, error) {
	type plain linear
	return json.Marshal((*plain)(m))
}

func decodeLinear(b []byte) (models.Model, error) {
	type plain linear
	var m plain
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode linear model: %w", err)
	}
	if len(m.Names) != len(m.Weights) {
		return nil, fmt.Errorf("decode linear model: %d names, %d weights", len(m.Names), len(m.Weights))
	}
	return (*linear)(&m), nil
}

// platt is a calibrator for tests: σ(A·logit(pd) + B).
type platt struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

func (c *platt) Calibrate(pd float64) float64 { return models.Sigmoid(c.A*models.Logit(pd) + c.B) }
func (c *platt) Method() string               { return "platt" }

func (c *platt) MarshalJSON() ([]byte, error) {
	type plain platt
	return json.Marshal(struct {
		Method string `json:"method"`
		*plain
	}{"platt", (*plain)(c)})
}

func decodePlatt(b []byte) (artifact.Calibrator, error) {
	var c struct {
		Method string `json:"method"`
		platt
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	if c.Method != "platt" {
		return nil, fmt.Errorf("calibration method %q", c.Method)
	}
	return &c.platt, nil
}

var (
	testDecoders = artifact.Decoders{"linear": decodeLinear}
	testSchema   = datasets.CustomerSchema{Numeric: []string{"employees", "age_years"}, Categorical: []string{"industry"}}
)

// testSet returns a feature set of the default config over testSchema.
func testSet(t testing.TB) *features.Set {
	t.Helper()
	s, err := features.NewSet(features.DefaultConfig(), testSchema, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// awkward are floats whose shortest decimal form is long or special.
var awkward = []float64{
	0.1, -0.3, 1.0 / 3, math.Pi, 5e-324, -math.SmallestNonzeroFloat64 * 3,
	math.MaxFloat64, 2.2250738585072014e-308, math.Nextafter(1, 2), math.Copysign(0, -1), 1e21, 123456789.123456789,
}

// testArtifact returns a full artifact over set with weights from seed.
func testArtifact(set *features.Set, seed uint64) *artifact.Artifact {
	rng := rand.New(rand.NewPCG(seed, 1))
	names := set.Names()
	w := make([]float64, len(names))
	for i := range w {
		w[i] = rng.NormFloat64() / 10
	}
	return &artifact.Artifact{
		Version:         "v0003",
		Created:         time.Date(2026, 1, 31, 9, 30, 0, 123456789, time.FixedZone("CET", 3600)),
		Model:           &linear{Names: names, Weights: w, Bias: -2.75 + rng.Float64(), Constants: awkward},
		Calibrator:      &platt{A: 0.9 + rng.Float64()/10, B: -0.1 * rng.Float64()},
		Scale:           json.RawMessage(`{"upper": [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.35, 0.6], "names": ["AAA", "AA"]}`),
		FeatureSet:      set,
		TrainingConfig:  json.RawMessage(`{"family":"linear","horizon":"12mo","seed":18446744073709551615,"note":"<a&b>"}`),
		DataFingerprint: "sha256:" + hex.EncodeToString(make([]byte, 32)),
		Metrics:         json.RawMessage(`{"auc": 0.8123456789012345, "ks": 0.41, "brier": 1e-3}`),
		Notes:           map[string]string{"owner": "credit-risk", "ticket": "ΔPD review", "a<b": "x&y"},
		Credence:        "1.4.2",
	}
}

// encode writes a and fails the test on error.
func encode(t testing.TB, a *artifact.Artifact) []byte {
	t.Helper()
	var b bytesBuffer
	if err := artifact.Write(&b, a); err != nil {
		t.Fatal(err)
	}
	return b.b
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

var checksumHex = regexp.MustCompile(`[0-9a-f]{64}`)

// reseal recomputes the checksum of an edited file the way the package
// documentation tells a shell to check it: the SHA-256 of the file without
// the 64 hex digits on its second line.
func reseal(b []byte) []byte {
	loc := checksumHex.FindIndex(firstLines(b, 2))
	out := append([]byte{}, b...)
	copy(out[loc[0]:], contentSum(b))
	return out
}

// contentSum is the SHA-256 in hex of b without the checksum digits.
func contentSum(b []byte) string {
	loc := checksumHex.FindIndex(firstLines(b, 2))
	sum := sha256.Sum256(append(append([]byte{}, b[:loc[0]]...), b[loc[1]:]...))
	return hex.EncodeToString(sum[:])
}

// firstLines returns the first n lines of b.
func firstLines(b []byte, n int) []byte {
	for i, c := range b {
		if c == '\n' {
			if n--; n == 0 {
				return b[:i]
			}
		}
	}
	return b
}
