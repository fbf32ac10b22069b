package backtest

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/synth"
	"github.com/credence-risk/credence/features"
)

func synthBook(t *testing.T, customers int) *datasets.Book {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "book")
	cfg := synth.DefaultConfig()
	cfg.Customers, cfg.Months, cfg.Seed, cfg.CustomersPerPart = customers, 24, 3, customers/3+1
	if _, err := synth.Generate(context.Background(), cfg, dir, "", nil); err != nil {
		t.Fatal(err)
	}
	b, err := datasets.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestObserveIsDeterministicAndMatchesBuild checks that the parallel pass
// gives the same rows in the same order for any worker count, and that each
// row is exactly what features.Set.Build gives for that history.
func TestObserveIsDeterministicAndMatchesBuild(t *testing.T) {
	ctx := context.Background()
	b := synthBook(t, 600)
	prep, err := Prepare(ctx, b, ObservationConfig{Features: features.DefaultConfig(), Horizon: features.Horizon{N: 12, Unit: features.Months}})
	if err != nil {
		t.Fatal(err)
	}
	if !prep.Plan.Dates()[0].Valid() || prep.DPDThreshold != 0 {
		t.Fatalf("prepared %+v", prep)
	}
	collect := func(workers int) ([]Observation, Counts) {
		var all []Observation
		c, err := Observe(ctx, b, prep, workers, false, func(obs []Observation) error {
			all = append(all, obs...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return all, c
	}
	one, c1 := collect(1)
	three, c3 := collect(3)
	if c1 != c3 || len(one) != len(three) {
		t.Fatalf("counts differ: %+v vs %+v", c1, c3)
	}
	// The default plan stops a horizon before observed_until, so nothing is censored.
	if c1.Labelled != int64(len(one)) || c1.Defaults == 0 || c1.Censored != 0 || c1.AlreadyDefaulted == 0 {
		t.Errorf("counts %+v with %d rows: want labelled = rows, some defaults, none censored, some after default", c1, len(one))
	}
	for i := range one {
		if one[i].CustomerID != three[i].CustomerID || one[i].AsOf != three[i].AsOf || one[i].Label != three[i].Label {
			t.Fatalf("row %d differs between 1 and 3 workers", i)
		}
	}
	// With a sample's rule, only the drawn rows are built, the same rows
	// with the same features, and the counts are still of every row.
	rule := SampleRule{NonDefaultRate: 0.2, Seed: 4}
	var drawn []Observation
	for _, o := range one {
		if rule.Weight(&o) > 0 {
			drawn = append(drawn, o)
		}
	}
	prep.Draw = &rule
	sampled, cs := collect(2)
	prep.Draw = nil
	if cs != c1 || len(sampled) != len(drawn) || len(sampled) >= len(one) {
		t.Fatalf("with a draw: %d rows, counts %+v; want the %d of %d drawn, counts %+v", len(sampled), cs, len(drawn), len(one), c1)
	}
	for i := range sampled {
		if sampled[i].CustomerID != drawn[i].CustomerID || sampled[i].AsOf != drawn[i].AsOf || !slices.EqualFunc(sampled[i].X, drawn[i].X, func(a, b float64) bool { return a == b || a != a && b != b }) {
			t.Fatalf("drawn row %d differs from the full pass's", i)
		}
	}
	hs, err := b.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*datasets.History{}
	for _, h := range hs {
		byID[h.CustomerID] = h
	}
	for _, o := range one[:50] {
		want := prep.Set.Build(byID[o.CustomerID], o.AsOf, nil)
		for j := range want {
			if !(want[j] == o.X[j] || want[j] != want[j] && o.X[j] != o.X[j]) {
				t.Fatalf("%s as of %s: feature %s = %v; want %v", o.CustomerID, o.AsOf, prep.Set.Names()[j], o.X[j], want[j])
			}
		}
	}
}

// TestObservePortfolio checks that observations of a set with the portfolio
// block carry the context of the whole book at their as-of month, the same
// whichever worker counts built it.
func TestObservePortfolio(t *testing.T) {
	ctx := context.Background()
	b := synthBook(t, 600)
	fc := features.DefaultConfig()
	fc.Portfolio = &features.PortfolioConfig{}
	prep, err := Prepare(ctx, b, ObservationConfig{Features: fc, Horizon: features.Horizon{N: 12, Unit: features.Months}, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	dates := prep.Plan.Dates()
	if len(prep.Portfolios) != len(dates) {
		t.Fatalf("%d contexts for %d plan dates", len(prep.Portfolios), len(dates))
	}
	hs, err := b.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	acc := prep.Set.NewPortfolioAcc(features.DefaultRule{DPDThreshold: prep.DPDThreshold}, dates...)
	byID := map[string]*datasets.History{}
	for _, h := range hs {
		acc.Add(h)
		byID[h.CustomerID] = h
	}
	want := map[datasets.Date]*features.Portfolio{}
	for _, p := range acc.Finish() {
		want[p.Date] = p
	}
	rate := prep.Set.Index("port_industry_default_rate_12m")
	if rate < 0 {
		t.Fatal("no industry default rate")
	}
	rows, rated := 0, 0
	_, err = Observe(ctx, b, prep, 2, false, func(obs []Observation) error {
		for _, o := range obs {
			x := prep.Set.BuildIn(byID[o.CustomerID], o.AsOf, want[o.AsOf], nil)
			for j := range x {
				if !(x[j] == o.X[j] || x[j] != x[j] && o.X[j] != o.X[j]) {
					t.Fatalf("%s as of %s: %s = %v; want %v", o.CustomerID, o.AsOf, prep.Set.Names()[j], o.X[j], x[j])
				}
			}
			rows++
			if o.X[rate] > 0 {
				rated++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rows == 0 || rated < rows/2 {
		t.Errorf("%d of %d observations see a positive industry default rate", rated, rows)
	}
}

// TestTallyPartsMergeToPrepare checks that the tallies of a book's parts,
// encoded, decoded and merged in another order, finish into what Prepare
// fixes over the whole book: the feature set, the plan, the dates and the
// portfolio context dates.
func TestTallyPartsMergeToPrepare(t *testing.T) {
	ctx := context.Background()
	b := synthBook(t, 600)
	fc := features.DefaultConfig()
	fc.Portfolio = &features.PortfolioConfig{}
	cfg := ObservationConfig{Features: fc, Horizon: features.Horizon{N: 12, Unit: features.Months}, Workers: 2}
	want, err := Prepare(ctx, b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	parts := b.Partitions()
	if len(parts) < 2 {
		t.Fatalf("%d parts; want several", len(parts))
	}
	var encoded [][]byte
	for _, part := range parts {
		tally, err := TallyBook(ctx, part, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		e, err := tally.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		encoded = append(encoded, e)
	}
	slices.Reverse(encoded)
	total, err := DecodeTally(b.Schema, encoded[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range encoded[1:] {
		tally, err := DecodeTally(b.Schema, e)
		if err != nil {
			t.Fatal(err)
		}
		if err := total.Merge(tally); err != nil {
			t.Fatal(err)
		}
	}
	got, err := FinishPrepare(parts[0], cfg, total)
	if err != nil {
		t.Fatal(err)
	}
	if got.Set.Version != want.Set.Version || !slices.Equal(got.Set.Names(), want.Set.Names()) {
		t.Errorf("feature set %s %v; Prepare fixes %s %v", got.Set.Version, got.Set.Names(), want.Set.Version, want.Set.Names())
	}
	if got.Plan != want.Plan || got.First != want.First || got.Last != want.Last || got.ObservedUntil != want.ObservedUntil ||
		got.Horizon != want.Horizon || got.DPDThreshold != want.DPDThreshold {
		t.Errorf("merged tally prepares %+v; Prepare %+v", got, want)
	}
	if g, w := slices.Sorted(slices.Values(got.PortfolioDates())), slices.Sorted(slices.Values(want.PortfolioDates())); !slices.Equal(g, w) {
		t.Errorf("portfolio dates %v; Prepare %v", g, w)
	}
	if got.Portfolios != nil {
		t.Error("FinishPrepare computed portfolio contexts")
	}
	if _, err := DecodeTally(datasets.CustomerSchema{Categorical: []string{"x"}}, encoded[0]); err == nil {
		t.Error("decoded the tally of another customers schema")
	}
}
