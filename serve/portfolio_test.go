package serve

import (
	"context"
	"math"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/serve/creditpb"
	"github.com/credence-risk/credence/train"
)

// TestLivePortfolio serves a model that reads the portfolio context from
// the live store: at the loaded data date it answers as a batch pass over
// the book would, and once events roll the data date into a new month it
// answers with that month's context computed from the store, events
// included.
func TestLivePortfolio(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	f := getFixture(t)
	tc := train.DefaultConfig()
	tc.Families = []string{"logistic"}
	tc.TuneBudget = "0"
	tc.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
	tc.Observations.Features.Portfolio = &features.PortfolioConfig{}
	res, err := train.Run(context.Background(), f.book, tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := loadedStore(t, f.book)
	reg, err := registry.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Promote(addModel(t, reg, res.Artifact)); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(testConfig(nil), reg, NewLive(st))
	if err != nil {
		t.Fatal(err)
	}
	r := startServer(t, srv, true)
	ctx := ctxT(t)

	// want scores id as the batch path does, with the context of the
	// book as the store holds it now.
	want := func(id string, asOf datasets.Date) float64 {
		t.Helper()
		sc, err := scoring.New(res.Artifact, st.Meta().Schema)
		if err != nil {
			t.Fatal(err)
		}
		acc := sc.NewPortfolioAcc(asOf)
		if err := st.Customers(ctx, func(h *datasets.History) error { acc.Add(h); return nil }); err != nil {
			t.Fatal(err)
		}
		sc.SetPortfolio(acc.Finish()...)
		h, err := st.History(id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sc.Score(h, asOf, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		return got.PD
	}
	ids := []string{f.hs[3].CustomerID, f.hs[40].CustomerID, f.hs[400].CustomerID}
	d0 := st.DataDate()
	for _, id := range ids {
		got, err := r.client.Score(ctx, &creditpb.ScoreRequest{CustomerId: id})
		if err != nil {
			t.Fatal(err)
		}
		if w := want(id, d0+1); math.Float64bits(got.Pd) != math.Float64bits(w) {
			t.Fatalf("%s at the loaded data date: PD %v; batch %v", id, got.Pd, w)
		}
	}

	// An invoice long overdue by the first day of next month, and one
	// issued that day: the data date enters a new month.
	next := features.PortfolioDate(d0 + 1).AddMonths(1)
	resp, err := r.client.Ingest(ctx, &creditpb.IngestRequest{Events: []*creditpb.Event{
		invoiceIssued(ids[1], "PORT-1", next-200, next-150, 900_000),
		invoiceIssued(ids[2], "PORT-2", next, next+30, 1000),
	}})
	if err != nil || resp.Accepted != 2 || creditpb.DateString(resp.DataDate) != next.String() {
		t.Fatalf("ingest: %+v, %v; want 2 accepted, data date %s", resp, err, next)
	}
	for _, id := range ids {
		got, err := r.client.Score(ctx, &creditpb.ScoreRequest{CustomerId: id})
		if err != nil {
			t.Fatal(err)
		}
		if creditpb.DateString(got.AsOf) != (next + 1).String() {
			t.Fatalf("as of %s; want %s", got.AsOf, next+1)
		}
		if w := want(id, next+1); math.Float64bits(got.Pd) != math.Float64bits(w) {
			t.Fatalf("%s after the month rolled: PD %v; batch %v", id, got.Pd, w)
		}
	}
}
