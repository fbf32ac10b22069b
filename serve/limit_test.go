package serve

import (
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/serve/creditpb"
	"github.com/credence-risk/credence/serve/limit"
)

func TestRecommendLimit(t *testing.T) {
	f := getFixture(t)
	reg := newRegistry(t, 1)
	r := start(t, testConfig(nil), reg, true)
	policy := limit.DefaultPolicy()
	asOf := datasets.YMD(2024, 6, 1)
	decisions := map[creditpb.Decision]int{}
	for _, h := range f.hs[:60] {
		req := &creditpb.RecommendLimitRequest{CustomerId: h.CustomerID, AsOf: creditpb.DateOf(asOf), RequestedAmount: 40_000, PaymentTermsDays: 60,
			ExpectedMonthlySales: proto.Float64(15_000)}
		got, err := r.client.RecommendLimit(ctxT(t), req)
		if err != nil {
			t.Fatalf("%s: %v", h.CustomerID, err)
		}
		schema := f.book.Schema
		want, err := policy.Decide(limit.Request{
			CustomerID: h.CustomerID, PD: got.Scoring.Pd, Grade: int(got.Scoring.Grade), RequestedAmount: 40_000, PaymentTermsDays: 60,
			ExpectedDaysBeyondTerms: dbtOrZero(f.art.FeatureSet.Build(h, asOf, nil)[f.art.FeatureSet.Index("inv_dbt_wavg_12m")]),
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
	got, err := r.client.RecommendLimit(ctxT(t), &creditpb.RecommendLimitRequest{CustomerId: "prospect", History: inline, RequestedAmount: 5000, PaymentTermsDays: 30})
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

// dbtOrZero: a customer that paid nothing in the year is expected to pay on
// time.
func dbtOrZero(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return x
}
