package scorecard

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/internal/modeltest"
)

// approx compares floats to rel relative difference (absolute near 0).
func approx(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// TestWoEByHand checks setWoE and gini on bins whose smoothed shares come
// out round: with K = 2 bins, G = 79 and B = 39 non-defaults and defaults
// become G + ½K = 80 and B + ½K = 40.
func TestWoEByHand(t *testing.T) {
	for _, tc := range []struct {
		name     string
		bins     []Bin
		lim      limits
		woe, iv  []float64
		gini     float64
		neutrals []bool
	}{
		{
			// good 39.5 + ½ = 40 of 80, bad 9.5 + ½ = 10 of 40: WoE ln(0.5/0.25);
			// good 40 of 80, bad 30 of 40: WoE ln(0.5/0.75).
			name: "two bins",
			bins: []Bin{{Kind: KindRange, Count: 49, Events: 9.5}, {Kind: KindRange, Count: 69, Events: 29.5}},
			woe:  []float64{math.Log(2), math.Log(2.0 / 3)},
			iv:   []float64{0.25 * math.Log(2), 0.25 * math.Log(1.5)},
			// Right-ordered pairs: 29.5 defaults of the low-WoE bin against
			// 39.5 non-defaults of the other, plus half of each bin's ties,
			// of 79·39: Gini = 2·(29.5·39.5 + ½·39.5·39) / 3081 − 1 = 790/3081.
			gini:     790.0 / 3081,
			neutrals: []bool{false, false},
		},
		{
			// An empty missing bin holds no rows: K stays 2, the others are
			// as above, and it is neutral.
			name:     "empty missing bin",
			bins:     []Bin{{Kind: KindRange, Count: 49, Events: 9.5}, {Kind: KindRange, Count: 69, Events: 29.5}, {Kind: KindMissing}},
			woe:      []float64{math.Log(2), math.Log(2.0 / 3), 0},
			iv:       []float64{0.25 * math.Log(2), 0.25 * math.Log(1.5), 0},
			gini:     790.0 / 3081,
			neutrals: []bool{false, false, true},
		},
		{
			// One bin holds everything: WoE ln(1) = 0.
			name:     "one bin",
			bins:     []Bin{{Kind: KindRange, Count: 100, Events: 20}},
			woe:      []float64{0},
			iv:       []float64{0},
			gini:     0,
			neutrals: []bool{false},
		},
		{
			// Below the minimum count both bins are neutral.
			name:     "too small",
			bins:     []Bin{{Kind: KindRange, Count: 49, Events: 9.5}, {Kind: KindRange, Count: 69, Events: 29.5}},
			lim:      limits{minCount: 50},
			woe:      []float64{0, math.Log(2.0 / 3)},
			iv:       []float64{0, 0.25 * math.Log(1.5)},
			gini:     790.0 / 3081, // WoE 0 still ranks above ln(2/3): the order is unchanged
			neutrals: []bool{true, false},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setWoE(tc.bins, tc.lim)
			for k, b := range tc.bins {
				if !approx(b.WoE, tc.woe[k], 1e-15) || !approx(b.IV, tc.iv[k], 1e-15) || b.Neutral != tc.neutrals[k] {
					t.Errorf("bin %d: WoE %v, IV %v, neutral %v; want %v, %v, %v", k, b.WoE, b.IV, b.Neutral, tc.woe[k], tc.iv[k], tc.neutrals[k])
				}
			}
			if g := gini(tc.bins); !approx(g, tc.gini, 1e-15) {
				t.Errorf("gini = %v; want %v", g, tc.gini)
			}
		})
	}
}

// TestWoEMatchesPandas bins testdata/woe_data.csv at fixed cuts and
// compares with the same table computed by pandas
// (testdata/make_reference.py). Counts are exact; WoE and IV are the same
// few float64 operations in either language, so they agree to rounding.
func TestWoEMatchesPandas(t *testing.T) {
	d := modeltest.ReadCSV(t, "testdata/woe_data.csv")
	b, err := os.ReadFile("testdata/woe_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cuts         []float64 `json:"cuts"`
		Special      []float64 `json:"special"`
		MinBinShare  float64   `json:"min_bin_share"`
		MinBinEvents int       `json:"min_bin_events"`
		Bins         []struct {
			Bin           string
			Count, Events float64
			Neutral       bool
			WoE           float64 `json:"woe"`
			IV            float64 `json:"iv"`
		} `json:"bins"`
		IV float64 `json:"iv"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	cfg, err := Config{
		MinBinShare: ref.MinBinShare, MinBinEvents: ref.MinBinEvents,
		Cuts: map[string][]float64{"x": ref.Cuts}, Special: map[string][]float64{"x": ref.Special},
	}.withDefaults(d.X.Names)
	if err != nil {
		t.Fatal(err)
	}
	col := make([]float64, d.X.Rows)
	for i := range col {
		col[i] = d.X.At(i, 0)
	}
	v := binFeature("x", 0, col, d.Y, nil, totalsOf(d.Y, nil), cfg)
	if len(v.Bins) != len(ref.Bins) {
		t.Fatalf("%d bins; want %d", len(v.Bins), len(ref.Bins))
	}
	if v.Trend != trendFixed {
		t.Errorf("trend %q; want %q for fixed cuts", v.Trend, trendFixed)
	}
	for k, want := range ref.Bins {
		got := v.Bins[k]
		if got.Count != want.Count || got.Events != want.Events || got.Neutral != want.Neutral {
			t.Errorf("%s (%s): %v rows, %v defaults, neutral %v; want %v, %v, %v",
				want.Bin, got.Label(), got.Count, got.Events, got.Neutral, want.Count, want.Events, want.Neutral)
		}
		if !approx(got.WoE, want.WoE, 1e-13) || !approx(got.IV, want.IV, 1e-13) {
			t.Errorf("%s: WoE %.17g, IV %.17g; want %.17g, %.17g", want.Bin, got.WoE, got.IV, want.WoE, want.IV)
		}
	}
	if !approx(v.IV, ref.IV, 1e-13) {
		t.Errorf("IV = %.17g; want %.17g", v.IV, ref.IV)
	}
}

// risky draws n rows of a feature x and a default label whose probability
// is pd(x).
func risky(n int, seed uint64, draw func(*rand.Rand) float64, pd func(x float64) float64) ([]float64, []float64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = draw(rng)
		if rng.Float64() < pd(x[i]) {
			y[i] = 1
		}
	}
	return x, y
}

func uniform(rng *rand.Rand) float64 { return math.Round(rng.Float64()*1000) / 10 }

func binOne(t *testing.T, x, y []float64, cfg Config) *Variable {
	t.Helper()
	cfg, err := cfg.withDefaults([]string{"x"})
	if err != nil {
		t.Fatal(err)
	}
	return binFeature("x", 0, x, y, nil, totalsOf(y, nil), cfg)
}

func rangeBins(v *Variable) []Bin {
	var out []Bin
	for _, b := range v.Bins {
		if b.Kind == KindRange {
			out = append(out, b)
		}
	}
	return out
}

func TestTrend(t *testing.T) {
	rising := func(x float64) float64 { return models.Sigmoid(-3 + 0.04*x) }
	falling := func(x float64) float64 { return models.Sigmoid(1 - 0.04*x) }
	ushape := func(x float64) float64 { return models.Sigmoid(-2.5 + 0.0008*(x-50)*(x-50)) }
	for _, tc := range []struct {
		name             string
		pd               func(float64) float64
		trend            string
		want             string // trend applied; "" either
		minBins, maxBins int
	}{
		{"rising auto", rising, TrendAuto, TrendAscending, 6, 8},
		{"falling auto", falling, TrendAuto, TrendDescending, 6, 8},
		{"rising ascending", rising, TrendAscending, TrendAscending, 6, 8},
		{"rising forced descending", rising, TrendDescending, TrendDescending, 1, 1},
		{"u-shape ascending", ushape, TrendAscending, TrendAscending, 2, 8},
		{"u-shape descending", ushape, TrendDescending, TrendDescending, 2, 8},
		{"u-shape auto", ushape, TrendAuto, "", 2, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := risky(20000, 1, uniform, tc.pd)
			cfg := DefaultConfig()
			cfg.Trend = tc.trend
			v := binOne(t, x, y, cfg)
			if tc.want != "" && v.Trend != tc.want {
				t.Errorf("trend %q; want %q", v.Trend, tc.want)
			}
			bins := rangeBins(v)
			if len(bins) < tc.minBins || len(bins) > tc.maxBins {
				t.Errorf("bins %q; want %d to %d", labels(bins), tc.minBins, tc.maxBins)
			}
			for k := 1; k < len(bins); k++ {
				a, b := bins[k-1], bins[k]
				if v.Trend == TrendAscending && !(b.EventRate > a.EventRate && b.WoE < a.WoE) ||
					v.Trend == TrendDescending && !(b.EventRate < a.EventRate && b.WoE > a.WoE) {
					t.Errorf("%s then %s: event rate %.4f → %.4f, WoE %.4f → %.4f break %s",
						a.Label(), b.Label(), a.EventRate, b.EventRate, a.WoE, b.WoE, v.Trend)
				}
			}
		})
	}
	t.Run("u-shape none keeps the U", func(t *testing.T) {
		x, y := risky(20000, 1, uniform, ushape)
		cfg := DefaultConfig()
		cfg.Trend = TrendNone
		none := binOne(t, x, y, cfg)
		cfg.Trend = TrendAuto
		auto := binOne(t, x, y, cfg)
		if none.IV <= auto.IV {
			t.Errorf("IV without trend %.4f; want above the monotone %.4f", none.IV, auto.IV)
		}
		bins := rangeBins(none)
		first, mid, last := bins[0], bins[len(bins)/2], bins[len(bins)-1]
		if !(mid.EventRate < first.EventRate && mid.EventRate < last.EventRate) {
			t.Errorf("event rates %.3f, %.3f, %.3f at the ends and middle; want a U", first.EventRate, mid.EventRate, last.EventRate)
		}
	})
	t.Run("per feature", func(t *testing.T) {
		x, y := risky(5000, 2, uniform, rising)
		cfg := DefaultConfig()
		cfg.Trend = TrendAscending
		cfg.TrendByFeature = map[string]string{"x": TrendDescending}
		if v := binOne(t, x, y, cfg); v.Trend != TrendDescending {
			t.Errorf("trend %q; want the feature's own %q", v.Trend, TrendDescending)
		}
	})
}

func TestSizeLimits(t *testing.T) {
	x, y := risky(10000, 3, func(r *rand.Rand) float64 { return math.Round(r.ExpFloat64() * 100) },
		func(x float64) float64 { return models.Sigmoid(-1 - 0.005*x) })
	for _, tc := range []struct {
		share     float64
		events    int
		maxBins   int
		trend     string
		wantAtMin int // the fewest range bins the limits allow here
	}{
		{0.05, 5, 8, TrendNone, 5},
		{0.10, 5, 8, TrendNone, 4},
		{0.02, 200, 8, TrendNone, 3},
		{0.20, 5, 8, TrendAuto, 2},
		{0.01, 1, 3, TrendNone, 3},
		{0.01, 1, 20, TrendNone, 10},
	} {
		t.Run(fmt.Sprintf("share %g events %d max %d", tc.share, tc.events, tc.maxBins), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.MinBinShare, cfg.MinBinEvents, cfg.MaxBins, cfg.Trend = tc.share, tc.events, tc.maxBins, tc.trend
			bins := rangeBins(binOne(t, x, y, cfg))
			if len(bins) > tc.maxBins || len(bins) < tc.wantAtMin {
				t.Errorf("%d range bins; want %d to %d", len(bins), tc.wantAtMin, tc.maxBins)
			}
			for _, b := range bins {
				if b.Count < tc.share*float64(len(x)) || b.Events < float64(tc.events) || b.Count-b.Events < float64(tc.events) {
					t.Errorf("%s: %v rows, %v defaults; want >= %v rows, >= %d defaults and non-defaults",
						b.Label(), b.Count, b.Events, tc.share*float64(len(x)), tc.events)
				}
			}
		})
	}
}

func TestPreBinsAreQuantiles(t *testing.T) {
	x, y := risky(10000, 4, func(r *rand.Rand) float64 { return r.NormFloat64() }, func(float64) float64 { return 0.2 })
	cfg := Config{PreBins: 20, MaxBins: 20, Trend: TrendNone}
	bins := rangeBins(binOne(t, x, y, cfg))
	if len(bins) != 20 {
		t.Fatalf("%d bins; want 20", len(bins))
	}
	for _, b := range bins {
		if b.Count < 499 || b.Count > 501 {
			t.Errorf("%s holds %v rows; want 500 ± 1", b.Label(), b.Count)
		}
	}
}

func TestOneBinPerValue(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []float64
	}{
		{"binary", []float64{0, 1}},
		{"codes", []float64{-2, -1, 0, 1, 2, 3, 4, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := risky(8000, 5, func(r *rand.Rand) float64 { return tc.values[r.IntN(len(tc.values))] },
				func(x float64) float64 { return models.Sigmoid(-1.5 + 0.3*x) })
			v := binOne(t, x, y, DefaultConfig())
			bins := rangeBins(v)
			if len(bins) != len(tc.values) {
				t.Fatalf("bins %v; want one per value %v", labels(bins), tc.values)
			}
			for k, b := range bins {
				if k > 0 && b.Lower != tc.values[k] {
					t.Errorf("bin %d: %s; want it to start at %v", k, b.Label(), tc.values[k])
				}
			}
		})
	}
}

func labels(bins []Bin) []string {
	var out []string
	for _, b := range bins {
		out = append(out, b.Label())
	}
	return out
}

func TestMissingAndSpecial(t *testing.T) {
	x, y := risky(10000, 6, uniform, func(x float64) float64 { return models.Sigmoid(-2 + 0.02*x) })
	rng := rand.New(rand.NewPCG(6, 6))
	var nMissing, nMinus1, nMinus2 float64
	for i := range x {
		switch u := rng.Float64(); {
		case u < 0.08:
			x[i] = math.NaN()
			nMissing++
		case u < 0.14:
			x[i] = -1
			y[i] = 1 // the code means trouble
			nMinus1++
		case u < 0.145:
			x[i] = -2
			nMinus2++
		}
	}
	cfg := DefaultConfig()
	cfg.Special = map[string][]float64{"x": {-1, -2, -1}}
	v := binOne(t, x, y, cfg)
	byLabel := map[string]Bin{}
	for _, b := range v.Bins {
		byLabel[b.Label()] = b
	}
	if got := labels(v.Bins[len(v.Bins)-3:]); !slices.Equal(got, []string{"special -2", "special -1", "missing"}) {
		t.Fatalf("last bins %q; want special -2, special -1, missing", got)
	}
	for _, tc := range []struct {
		label   string
		count   float64
		neutral bool
	}{
		{"missing", nMissing, false},
		{"special -1", nMinus1, false},
		{"special -2", nMinus2, true}, // 0.5% of rows: below the 5% minimum
	} {
		b := byLabel[tc.label]
		if b.Count != tc.count || b.Neutral != tc.neutral {
			t.Errorf("%s: %v rows, neutral %v; want %v, %v", tc.label, b.Count, b.Neutral, tc.count, tc.neutral)
		}
		if b.Neutral && (b.WoE != 0 || b.IV != 0) {
			t.Errorf("%s is neutral with WoE %v, IV %v; want 0, 0", tc.label, b.WoE, b.IV)
		}
	}
	if b := byLabel["special -1"]; !(b.WoE < -2) {
		t.Errorf("special -1 (all defaults): WoE %v; want strongly negative", b.WoE)
	}
	// Ranges start above the codes: -1 and -2 are not quantities.
	if r := rangeBins(v); r[1].Lower < 0 {
		t.Errorf("second range bin %s; codes leaked into the ranges", r[1].Label())
	}

	// A feature never missing in training still has a (neutral) missing bin.
	x2, y2 := risky(5000, 7, uniform, func(x float64) float64 { return models.Sigmoid(-2 + 0.02*x) })
	v2 := binOne(t, x2, y2, DefaultConfig())
	if last := v2.Bins[len(v2.Bins)-1]; last.Kind != KindMissing || last.Count != 0 || !last.Neutral || last.WoE != 0 {
		t.Errorf("missing bin %+v; want empty, neutral, WoE 0", last)
	}
}
