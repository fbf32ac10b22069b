package calibrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// reference is testdata/reference.json, written by make_reference.py.
type reference struct {
	PD, Y, W, Test   []float64
	Isotonic         isoRef `json:"isotonic"`
	IsotonicWeighted isoRef `json:"isotonic_weighted"`
	Platt            plattRef
	PlattWeighted    plattRef `json:"platt_weighted"`
	PlattRaw         plattRef `json:"platt_raw"`
	PlattRawWeighted plattRef `json:"platt_raw_weighted"`
}

type isoRef struct{ X, Y, Pred []float64 }

type plattRef struct {
	A, B float64
	Pred []float64
}

func loadReference(t testing.TB) *reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.PD) == 0 || len(ref.PD) != len(ref.Y) || len(ref.W) != len(ref.Y) {
		t.Fatalf("reference: %d PDs, %d labels, %d weights", len(ref.PD), len(ref.Y), len(ref.W))
	}
	return &ref
}

// close reports whether got is within tol of want, absolutely or
// relative to want.
func close(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func TestIsotonicMatchesSklearn(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range []struct {
		name string
		w    []float64
		want isoRef
	}{
		{"unweighted", nil, ref.Isotonic},
		{"weighted", ref.W, ref.IsotonicWeighted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iso, err := FitIsotonic(ref.PD, ref.Y, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			// Same pooling and summation order as scikit-learn: only the
			// last bits of a block mean may differ.
			const tol = 1e-12
			if len(iso.X) != len(tc.want.X) {
				t.Fatalf("got %d knots; want %d", len(iso.X), len(tc.want.X))
			}
			for i := range iso.X {
				if iso.X[i] != tc.want.X[i] || !close(iso.Y[i], tc.want.Y[i], tol) {
					t.Errorf("knot %d: got (%v, %v); want (%v, %v)", i, iso.X[i], iso.Y[i], tc.want.X[i], tc.want.Y[i])
				}
			}
			for i, pd := range ref.Test {
				if got := iso.Calibrate(pd); !close(got, tc.want.Pred[i], tol) {
					t.Errorf("Calibrate(%v) = %v; want %v", pd, got, tc.want.Pred[i])
				}
			}
		})
	}
}

func TestPlattMatchesSklearn(t *testing.T) {
	ref := loadReference(t)
	for _, tc := range []struct {
		name string
		w    []float64
		opt  PlattOptions
		want plattRef
	}{
		{"smoothed", nil, PlattOptions{}, ref.Platt},
		{"smoothed weighted", ref.W, PlattOptions{}, ref.PlattWeighted},
		{"raw", nil, PlattOptions{RawTargets: true}, ref.PlattRaw},
		{"raw weighted", ref.W, PlattOptions{RawTargets: true}, ref.PlattRawWeighted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := FitPlattWith(ref.PD, ref.Y, tc.w, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			// Both solvers are Newton's method run to machine precision; the
			// residual differences (~1e-12) come from summation order.
			const tol = 1e-9
			if !close(p.A, tc.want.A, tol) || !close(p.B, tc.want.B, tol) {
				t.Errorf("got A=%v, B=%v; want A=%v, B=%v", p.A, p.B, tc.want.A, tc.want.B)
			}
			if p.Smoothed == tc.opt.RawTargets {
				t.Errorf("got Smoothed=%v; want %v", p.Smoothed, !tc.opt.RawTargets)
			}
			for i, pd := range ref.Test {
				if got := p.Calibrate(pd); !close(got, tc.want.Pred[i], tol) {
					t.Errorf("Calibrate(%v) = %v; want %v", pd, got, tc.want.Pred[i])
				}
			}
		})
	}
}

func TestFitPlattIsDefaultSmoothed(t *testing.T) {
	ref := loadReference(t)
	a, err := FitPlatt(ref.PD, ref.Y, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FitPlattWith(ref.PD, ref.Y, nil, PlattOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *a != *b || !a.Smoothed {
		t.Errorf("FitPlatt = %+v; want %+v, smoothed", *a, *b)
	}
}

// A calibrated model with PD already right: Platt must find A≈1, B≈0.
func TestPlattRecoversIdentity(t *testing.T) {
	const n = 20000
	pd := make([]float64, n)
	y := make([]float64, n)
	// Deterministic, exactly calibrated: within each PD level, the share
	// of defaults equals the PD.
	for i := range n {
		level := i / 1000 // 20 levels of 1000 rows
		pd[i] = 0.01 + 0.04*float64(level)
		if float64(i%1000) < pd[i]*1000 {
			y[i] = 1
		}
	}
	p, err := FitPlattWith(pd, y, nil, PlattOptions{RawTargets: true})
	if err != nil {
		t.Fatal(err)
	}
	// Rounding PD×1000 to whole defaults moves the optimum a little.
	if math.Abs(p.A-1) > 0.01 || math.Abs(p.B) > 0.02 {
		t.Errorf("got A=%v, B=%v; want about 1 and 0", p.A, p.B)
	}
}

func TestFitErrors(t *testing.T) {
	sep := []float64{0.1, 0.2, 0.3, 0.4}
	for _, tc := range []struct {
		name     string
		pd, y, w []float64
		isotonic bool // also expected to fail for isotonic
	}{
		{"length", []float64{0.1, 0.2}, []float64{0}, nil, true},
		{"weights length", []float64{0.1, 0.2}, []float64{0, 1}, []float64{1}, true},
		{"label 2", []float64{0.1, 0.2}, []float64{0, 2}, nil, true},
		{"label NaN", []float64{0.1, 0.2}, []float64{0, math.NaN()}, nil, true},
		{"PD NaN", []float64{0.1, math.NaN()}, []float64{0, 1}, nil, true},
		{"PD above 1", []float64{0.1, 1.5}, []float64{0, 1}, nil, true},
		{"PD below 0", []float64{-0.1, 0.5}, []float64{0, 1}, nil, true},
		{"negative weight", []float64{0.1, 0.2}, []float64{0, 1}, []float64{1, -1}, true},
		{"infinite weight", []float64{0.1, 0.2}, []float64{0, 1}, []float64{1, math.Inf(1)}, true},
		{"no defaults", []float64{0.1, 0.2}, []float64{0, 0}, nil, true},
		{"defaults weigh nothing", []float64{0.1, 0.2}, []float64{0, 1}, []float64{1, 0}, true},
		{"empty", nil, nil, nil, true},
		{"constant PD", []float64{0.2, 0.2, 0.2}, []float64{0, 1, 0}, nil, false},
		{"separable, raw targets", sep, []float64{0, 0, 1, 1}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := FitPlattWith(tc.pd, tc.y, tc.w, PlattOptions{RawTargets: true}); err == nil {
				t.Errorf("FitPlattWith: got no error")
			}
			_, err := FitIsotonic(tc.pd, tc.y, tc.w)
			if tc.isotonic && err == nil {
				t.Errorf("FitIsotonic: got no error")
			}
			if !tc.isotonic && err != nil {
				t.Errorf("FitIsotonic: got %v; want no error", err)
			}
		})
	}
	if _, err := FitIsotonic([]float64{0.1}, []float64{1}, nil); !errors.Is(err, ErrOneClass) {
		t.Errorf("one class: got %v; want ErrOneClass", err)
	}
}

// Smoothed targets keep a separable sample's fit finite.
func TestPlattSeparableSmoothed(t *testing.T) {
	p, err := FitPlatt([]float64{0.1, 0.2, 0.3, 0.4}, []float64{0, 0, 1, 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Calibrate(0.4); !(got > 0.5 && got < 1) {
		t.Errorf("Calibrate(0.4) = %v; want in (0.5, 1)", got)
	}
}

func TestIsotonicSmall(t *testing.T) {
	for _, tc := range []struct {
		name       string
		pd, y, w   []float64
		wantX      []float64
		wantY      []float64
		probe      []float64
		wantProbes []float64
	}{
		{
			name:  "violators pooled",
			pd:    []float64{0.1, 0.2, 0.3, 0.4},
			y:     []float64{0, 1, 0, 1},
			wantX: []float64{0.1, 0.2, 0.3, 0.4},
			wantY: []float64{IsotonicMin, 0.5, 0.5, IsotonicMax},
			probe: []float64{0, 0.05, 0.15, 0.25, 0.35, 1},
			wantProbes: []float64{IsotonicMin, IsotonicMin, (IsotonicMin + 0.5) / 2, 0.5,
				(0.5 + IsotonicMax) / 2, IsotonicMax},
		},
		{
			name:       "ties merged, weights count",
			pd:         []float64{0.2, 0.2, 0.2, 0.6},
			y:          []float64{1, 0, 0, 1},
			w:          []float64{2, 1, 1, 1},
			wantX:      []float64{0.2, 0.6},
			wantY:      []float64{0.5, IsotonicMax},
			probe:      []float64{0.1, 0.4},
			wantProbes: []float64{0.5, (0.5 + IsotonicMax) / 2},
		},
		{
			name:       "flat stretch trimmed",
			pd:         []float64{0.1, 0.2, 0.3, 0.4, 0.5},
			y:          []float64{1, 0, 0, 0, 1},
			wantX:      []float64{0.1, 0.4, 0.5},
			wantY:      []float64{0.25, 0.25, IsotonicMax},
			probe:      []float64{0.3, 0.45},
			wantProbes: []float64{0.25, (0.25 + IsotonicMax) / 2},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iso, err := FitIsotonic(tc.pd, tc.y, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			const tol = 1e-15
			if len(iso.X) != len(tc.wantX) {
				t.Fatalf("got knots %v → %v; want %v → %v", iso.X, iso.Y, tc.wantX, tc.wantY)
			}
			for i := range iso.X {
				if iso.X[i] != tc.wantX[i] || !close(iso.Y[i], tc.wantY[i], tol) {
					t.Fatalf("got knots %v → %v; want %v → %v", iso.X, iso.Y, tc.wantX, tc.wantY)
				}
			}
			for i, pd := range tc.probe {
				if got := iso.Calibrate(pd); !close(got, tc.wantProbes[i], tol) {
					t.Errorf("Calibrate(%v) = %v; want %v", pd, got, tc.wantProbes[i])
				}
			}
		})
	}
}

func TestCalibrateRejectsNonPD(t *testing.T) {
	ref := loadReference(t)
	iso, err := FitIsotonic(ref.PD, ref.Y, nil)
	if err != nil {
		t.Fatal(err)
	}
	platt, err := FitPlatt(ref.PD, ref.Y, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Calibrator{iso, platt, Identity{}} {
		for _, pd := range []float64{math.NaN(), -1e-9, 1 + 1e-9, math.Inf(1)} {
			if got := c.Calibrate(pd); !math.IsNaN(got) {
				t.Errorf("%s.Calibrate(%v) = %v; want NaN", c.Method(), pd, got)
			}
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	ref := loadReference(t)
	iso, err := FitIsotonic(ref.PD, ref.Y, ref.W)
	if err != nil {
		t.Fatal(err)
	}
	platt, err := FitPlatt(ref.PD, ref.Y, ref.W)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Calibrator{iso, platt, Identity{}} {
		t.Run(c.Method(), func(t *testing.T) {
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode(%s): %v", b, err)
			}
			if back.Method() != c.Method() {
				t.Errorf("got method %q; want %q", back.Method(), c.Method())
			}
			// Lossless: every PD comes back bit for bit.
			for _, pd := range ref.Test {
				if got, want := back.Calibrate(pd), c.Calibrate(pd); math.Float64bits(got) != math.Float64bits(want) {
					t.Errorf("decoded Calibrate(%v) = %v; want %v", pd, got, want)
				}
			}
			again, err := json.Marshal(back)
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(b) {
				t.Errorf("re-encoded\n%s\nwant\n%s", again, b)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{
		``,
		`[]`,
		`{}`,
		`{"method":"spline"}`,
		`{"method":"platt","a":1}x`,
		`{"method":"platt","a":1,"b":0,"c":2}`,
		`{"method":"platt","a":"1","b":0}`,
		`{"method":"isotonic","x":[],"y":[]}`,
		`{"method":"isotonic","x":[0.1,0.2],"y":[0.5]}`,
		`{"method":"isotonic","x":[0.2,0.1],"y":[0.1,0.2]}`,
		`{"method":"isotonic","x":[0.1,0.2],"y":[0.3,0.2]}`,
		`{"method":"isotonic","x":[0.1,2],"y":[0.1,0.2]}`,
		`{"method":"identity","x":1}`,
	} {
		if c, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%s) = %#v; want an error", in, c)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"method":"platt","a":0.9,"b":-0.4,"smoothed":true}`))
	f.Add([]byte(`{"method":"isotonic","x":[0,0.1,1],"y":[0.001,0.01,0.5]}`))
	f.Add([]byte(`{"method":"identity"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Decode(b)
		if err != nil {
			return
		}
		enc, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("decoded %s but cannot encode it: %v", b, err)
		}
		back, err := Decode(enc)
		if err != nil {
			t.Fatalf("cannot decode own encoding %s: %v", enc, err)
		}
		prev := 0.0
		for i := range 101 {
			pd := float64(i) / 100
			got, want := back.Calibrate(pd), c.Calibrate(pd)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("Calibrate(%v): %v after round trip; want %v", pd, got, want)
			}
			if !(got >= 0 && got <= 1) {
				t.Fatalf("Calibrate(%v) = %v; want a probability", pd, got)
			}
			if c.Method() != MethodPlatt && got < prev {
				t.Fatalf("Calibrate decreases at %v: %v < %v", pd, got, prev)
			}
			prev = got
		}
	})
}

func FuzzIsotonicMonotone(f *testing.F) {
	f.Add([]byte{10, 200, 30, 40, 255, 7, 90, 91, 92})
	f.Fuzz(func(t *testing.T, b []byte) {
		// Each byte is one row: the high 7 bits the PD, the low bit the label.
		n := len(b)
		pd := make([]float64, n)
		y := make([]float64, n)
		for i, v := range b {
			pd[i] = float64(v>>1) / 127
			y[i] = float64(v & 1)
		}
		iso, err := FitIsotonic(pd, y, nil)
		if err != nil {
			if !errors.Is(err, ErrOneClass) {
				t.Fatal(err)
			}
			return
		}
		prev := 0.0
		for i := range 257 {
			got := iso.Calibrate(float64(i) / 256)
			if !(got >= IsotonicMin && got <= IsotonicMax) || got < prev {
				t.Fatalf("Calibrate(%v) = %v after %v", float64(i)/256, got, prev)
			}
			prev = got
		}
	})
}

func BenchmarkFitIsotonic(b *testing.B) {
	ref := loadReference(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FitIsotonic(ref.PD, ref.Y, ref.W); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitPlatt(b *testing.B) {
	ref := loadReference(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FitPlatt(ref.PD, ref.Y, ref.W); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleFitIsotonic() {
	// Raw PDs of a model that ranks well but runs low.
	pd := []float64{0.01, 0.01, 0.02, 0.02, 0.04, 0.04, 0.08, 0.08}
	y := []float64{0, 0, 0, 1, 0, 1, 1, 1}
	iso, err := FitIsotonic(pd, y, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []float64{0.01, 0.03, 0.08} {
		fmt.Printf("raw %.2f → calibrated %.4f\n", p, iso.Calibrate(p))
	}
	b, _ := json.Marshal(iso)
	fmt.Println(string(b))
	// Output:
	// raw 0.01 → calibrated 0.0000
	// raw 0.03 → calibrated 0.5000
	// raw 0.08 → calibrated 1.0000
	// {"method":"isotonic","x":[0.01,0.02,0.04,0.08],"y":[0.000001,0.5,0.5,0.999999]}
}
