package scoring_test

import (
	"context"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/train"
)

// TestScorePortfolio checks that a model reading the portfolio context
// scores the same whether the context comes from a first pass over the
// book (batch) or from the scorer's own pass when first asked (server),
// that the pass runs once per context date however many ask at once, and
// that a scorer given neither refuses to score.
func TestScorePortfolio(t *testing.T) {
	ctx := context.Background()
	book := synthBook(t, 1200, 9)
	tc := train.DefaultConfig()
	tc.Families = []string{"logistic"}
	tc.TuneBudget = "0"
	tc.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
	tc.Observations.Features.Portfolio = &features.PortfolioConfig{}
	res, err := train.Run(ctx, book, tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Artifact.FeatureSet.HasPortfolio() {
		t.Fatal("the model has no portfolio block")
	}
	hs, err := book.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	asOf := datasets.YMD(2024, 6, 15)

	bare, err := scoring.New(res.Artifact, book.Schema)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Score(hs[0], asOf, 0, nil); err == nil || !strings.Contains(err.Error(), "portfolio") {
		t.Fatalf("a scorer without a book scored: %v", err)
	}

	batch, err := scoring.New(res.Artifact, book.Schema)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := scoring.ComputePortfolios(ctx, book, batch.Set, batch.Rule, 2, []datasets.Date{asOf}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Date != datasets.YMD(2024, 6, 1) || ps[0].Customers < 1000 {
		t.Fatalf("contexts %+v; want one as of 2024-06-01 over the book", ps)
	}
	batch.SetPortfolio(ps...)

	online, err := scoring.New(res.Artifact, book.Schema)
	if err != nil {
		t.Fatal(err)
	}
	var passes atomic.Int32
	dataDate := asOf
	online.UseBook(func(fn func(*datasets.History) error) error {
		passes.Add(1)
		for _, h := range hs {
			if err := fn(h); err != nil {
				return err
			}
		}
		return nil
	}, func() datasets.Date { return dataDate })
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := online.Portfolio(asOf); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := passes.Load(); n != 1 {
		t.Fatalf("%d passes over the book for one context date; want 1", n)
	}
	differ := 0
	for _, h := range hs[:300] {
		a, err := batch.Score(h, asOf, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := online.Score(h, asOf, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(a.PD) != math.Float64bits(b.PD) || a.Grade != b.Grade {
			t.Fatalf("%s: batch PD %v, online PD %v", h.CustomerID, a.PD, b.PD)
		}
		if !a.InDefault {
			if want := res.Artifact.PD(res.Artifact.FeatureSet.BuildIn(h, asOf, ps[0], nil)); a.PD != want {
				t.Fatalf("%s: PD %v; the model on its features gives %v", h.CustomerID, a.PD, want)
			}
			// Without the context the model would score otherwise: the
			// context reaches the PD.
			if res.Artifact.PD(res.Artifact.FeatureSet.Build(h, asOf, nil)) != a.PD {
				differ++
			}
		}
	}
	if differ == 0 {
		t.Error("no PD depends on the portfolio context")
	}
	// Next month's context is provisional while the data date is before
	// it, computed again once the data date reaches it, then kept.
	next := asOf.AddMonths(1)
	for _, c := range []struct {
		dataDate datasets.Date
		passes   int32
	}{{asOf, 2}, {asOf, 2}, {features.PortfolioDate(next), 3}, {next, 3}} {
		dataDate = c.dataDate
		if _, err := online.Score(hs[0], next, 0, nil); err != nil || passes.Load() != c.passes {
			t.Fatalf("as of %s at data date %s: %v after %d passes; want %d", next, dataDate, err, passes.Load(), c.passes)
		}
	}
}
