package serve

import (
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/serve/creditpb"
	"github.com/credence-risk/credence/serve/limit"
)

// The expected days beyond terms of a limit decision are the feature
// inv_dbt_wavg_12m that the model reads.
func TestExpectedDaysBeyondTermsIsTheFeature(t *testing.T) {
	f := getFixture(t)
	j := f.art.FeatureSet.Index("inv_dbt_wavg_12m")
	if j < 0 {
		t.Fatal("the fixture's feature set has no inv_dbt_wavg_12m")
	}
	known := 0
	for _, asOf := range []datasets.Date{datasets.YMD(2023, 9, 1), datasets.YMD(2024, 6, 15)} {
		for _, h := range f.hs {
			want := f.art.FeatureSet.Build(h, asOf, nil)[j]
			got := expectedDaysBeyondTerms(h, asOf)
			if math.IsNaN(want) != math.IsNaN(got) || !math.IsNaN(want) && math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
				t.Fatalf("%s as of %s: got %v; want %v", h.CustomerID, asOf, got, want)
			}
			if !math.IsNaN(want) {
				known++
			}
		}
	}
	if known == 0 {
		t.Fatal("no customer paid an invoice in the 12 months: the comparison tested nothing")
	}
}

func TestRecommendLimit(t *testing.T) {
	f := getFixture(t)
	reg := newRegistry(t, 1)
	r := start(t, testConfig(nil), reg, true)
	policy := limit.DefaultPolicy()
	asOf := datasets.YMD(2024, 6, 1)
	decisions := map[creditpb.Decision]int{}
	for _, h := range f.hs[:60] {
		req := &creditpb.LimitRequest{CustomerId: h.CustomerID, AsOf: asOf.String(), RequestedAmount: 40_000, PaymentTermsDays: 60,
			ExpectedMonthlySales: proto.Float64(15_000)}
		got, err := r.client.RecommendLimit(ctxT(t), req)
		if err != nil {
			t.Fatalf("%s: %v", h.CustomerID, err)
		}
		schema := f.book.Schema
		want, err := policy.Decide(limit.Request{
			CustomerID: h.CustomerID, PD: got.Scoring.Pd, Grade: int(got.Scoring.Grade), RequestedAmount: 40_000, PaymentTermsDays: 60,
			ExpectedDaysBeyondTerms: f.art.FeatureSet.Build(h, asOf, nil)[f.art.FeatureSet.Index("inv_dbt_wavg_12m")],
			ExpectedMonthlySales:    15_000, UnbilledOrders: math.NaN(), ExternalLimit: math.NaN(),
			NetWorth: h.Customer.Number(schema, "net_worth"), WorkingCapital: h.Customer.Number(schema, "working_capital"),
			CurrentLimit: h.Customer.Number(schema, "current_limit"), AsOf: asOf.Time(),
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.RecommendedLimit != want.RecommendedLimit || got.Decision != decisionOf(want.Decision) ||
			got.BindingConstraint != want.BindingConstraint || got.Rationale != want.Rationale || len(got.Constraints) != len(want.Constraints) {
			t.Errorf("%s: %v %v bound by %s; want %v %v bound by %s", h.CustomerID, got.Decision, got.RecommendedLimit, got.BindingConstraint,
				want.Decision, want.RecommendedLimit, want.BindingConstraint)
		}
		decisions[got.Decision]++
	}
	if len(decisions) < 2 {
		t.Errorf("every decision was %v: the comparison covered one path only", decisions)
	}

	// Inline: a known zero net worth caps the limit at zero.
	inline := &creditpb.History{NumericAttributes: map[string]float64{"net_worth": 0}}
	got, err := r.client.RecommendLimit(ctxT(t), &creditpb.LimitRequest{CustomerId: "prospect", History: inline, RequestedAmount: 5000, PaymentTermsDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	if got.Decision != creditpb.Decision_DECISION_DECLINE || got.RecommendedLimit != 0 {
		t.Errorf("net worth 0: %v %v bound by %s; want a decline", got.Decision, got.RecommendedLimit, got.BindingConstraint)
	}
	for _, c := range got.Constraints {
		if c.Applies != !math.IsNaN(c.Amount) {
			t.Errorf("constraint %s: applies %v with amount %v", c.Name, c.Applies, c.Amount)
		}
	}
}
