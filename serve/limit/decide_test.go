package limit

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

var nan = math.NaN()

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// baseRequest is a grade 4 customer (default policy: cap 300,000, automatic
// approval up to 100,000) asking for 50,000 with nothing else known, so that
// only the request, the grade cap and the expected-loss budget apply.
func baseRequest() Request {
	return Request{
		CustomerID:              "C-0001",
		PD:                      0.01,
		Grade:                   4,
		RequestedAmount:         50_000,
		PaymentTermsDays:        30,
		ExpectedDaysBeyondTerms: nan,
		ExpectedMonthlySales:    nan,
		UnbilledOrders:          nan,
		NetWorth:                nan,
		WorkingCapital:          nan,
		ExternalLimit:           nan,
		CurrentLimit:            nan,
		AsOf:                    date(2026, 3, 31),
	}
}

type decideCase struct {
	name    string
	policy  func(*Policy)
	request func(*Request)

	limit       float64
	policyLimit float64 // NaN: not checked
	decision    Decision
	binding     string
	rationale   []string // substrings the rationale must contain
}

func runDecideCases(t *testing.T, cases []decideCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			if tc.policy != nil {
				tc.policy(&p)
			}
			r := baseRequest()
			if tc.request != nil {
				tc.request(&r)
			}
			res, err := p.Decide(r)
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if res.RecommendedLimit != tc.limit {
				t.Errorf("recommended limit: got %v; want %v", res.RecommendedLimit, tc.limit)
			}
			if !math.IsNaN(tc.policyLimit) && res.PolicyLimit != tc.policyLimit {
				t.Errorf("policy limit: got %v; want %v", res.PolicyLimit, tc.policyLimit)
			}
			if res.Decision != tc.decision {
				t.Errorf("decision: got %q; want %q", res.Decision, tc.decision)
			}
			if res.BindingConstraint != tc.binding {
				t.Errorf("binding constraint: got %q; want %q", res.BindingConstraint, tc.binding)
			}
			for _, want := range tc.rationale {
				if !strings.Contains(res.Rationale, want) {
					t.Errorf("rationale: got %q; want it to contain %q", res.Rationale, want)
				}
			}
			checkInvariants(t, p, r, res)
		})
	}
}

func TestDecideNeed(t *testing.T) {
	runDecideCases(t, []decideCase{{
		name: "terms and days beyond terms",
		request: func(r *Request) {
			r.RequestedAmount = 60_000
			r.ExpectedMonthlySales = 30_000
			r.ExpectedDaysBeyondTerms = 15
		},
		limit: 30_000 * (30 + 15) / 30.0, policyLimit: 45_000, decision: ApproveInPart, binding: ConstraintNeed,
		rationale: []string{"Approved 45,000 of the 60,000 requested", "credit need of 45,000", "peak monthly sales 30,000 × (30 days of terms + 15 days beyond terms) / 30"},
	}, {
		name: "unbilled orders add to the need",
		request: func(r *Request) {
			r.RequestedAmount = 60_000
			r.PaymentTermsDays = 60
			r.ExpectedMonthlySales = 20_000
			r.UnbilledOrders = 5_000
		},
		limit: 20_000*60/30.0 + 5_000, policyLimit: nan, decision: ApproveInPart, binding: ConstraintNeed,
		rationale: []string{"+ unbilled orders 5,000"},
	}, {
		name: "early payment counts as on time",
		request: func(r *Request) {
			r.ExpectedMonthlySales = 30_000
			r.ExpectedDaysBeyondTerms = -5
		},
		limit: 30_000, policyLimit: nan, decision: ApproveInPart, binding: ConstraintNeed,
	}, {
		name: "unknown sales: need does not apply",
		request: func(r *Request) {
			r.ExpectedMonthlySales = 0
			r.UnbilledOrders = 1_000
			r.ExpectedDaysBeyondTerms = 200
		},
		limit: 50_000, policyLimit: 300_000, decision: Approve, binding: ConstraintRequested,
	}})
}

func TestDecideFinancialCapacity(t *testing.T) {
	withFinancials := func(nw, wc float64) func(*Request) {
		return func(r *Request) {
			r.RequestedAmount = 60_000
			r.NetWorth, r.WorkingCapital = nw, wc
		}
	}
	runDecideCases(t, []decideCase{{
		name: "net worth only", request: withFinancials(400_000, nan),
		limit: 0.10 * 400_000, policyLimit: nan, decision: ApproveInPart, binding: ConstraintFinancialCapacity,
		rationale: []string{"financial capacity of 40,000 (10% of net worth 400,000)"},
	}, {
		name: "working capital only", request: withFinancials(nan, 150_000),
		limit: 0.20 * 150_000, policyLimit: nan, decision: ApproveInPart, binding: ConstraintFinancialCapacity,
		rationale: []string{"(20% of working capital 150,000)"},
	}, {
		name: "both, working capital lower", request: withFinancials(400_000, 150_000),
		limit: 0.20 * 150_000, policyLimit: nan, decision: ApproveInPart, binding: ConstraintFinancialCapacity,
		rationale: []string{"the lower of 10% of net worth 400,000 and 20% of working capital 150,000"},
	}, {
		name: "both, net worth lower", request: withFinancials(200_000, 150_000),
		limit: 0.10 * 200_000, policyLimit: nan, decision: ApproveInPart, binding: ConstraintFinancialCapacity,
	}, {
		name: "policy shares", request: withFinancials(200_000, 150_000),
		policy: func(p *Policy) { p.NetWorthShare, p.WorkingCapitalShare = 0.25, 0.30 },
		limit:  0.30 * 150_000, policyLimit: nan, decision: ApproveInPart, binding: ConstraintFinancialCapacity,
	}, {
		name: "negative net worth gives no capacity", request: withFinancials(-200_000, 150_000),
		limit: 0, policyLimit: 0, decision: Decline, binding: ConstraintFinancialCapacity,
		rationale: []string{"Declined", "net worth -200,000"},
	}, {
		name: "zero working capital is a known zero", request: withFinancials(nan, 0),
		limit: 0, policyLimit: 0, decision: Decline, binding: ConstraintFinancialCapacity,
	}})
}

func TestDecideExpectedLossBudget(t *testing.T) {
	runDecideCases(t, []decideCase{{
		name:    "budget binds",
		policy:  func(p *Policy) { p.ELBudget = 1_000 },
		request: func(r *Request) { r.PD = 0.05; r.RequestedAmount = 60_000 },
		// 1,000 / (0.05 × 0.45) = 44,444.44, rounded down to 100.
		limit: 44_400, policyLimit: 44_400, decision: ApproveInPart, binding: ConstraintELBudget,
		rationale: []string{"expected-loss budget of 1,000", "PD 5% × LGD 45%", "44,444.44"},
	}, {
		name:    "LGD enters the budget",
		policy:  func(p *Policy) { p.ELBudget, p.LGD = 1_000, 0.75 },
		request: func(r *Request) { r.PD = 0.05; r.RequestedAmount = 60_000 },
		// 1,000 / (0.05 × 0.75) = 26,666.67.
		limit: 26_600, policyLimit: 26_600, decision: ApproveInPart, binding: ConstraintELBudget,
	}, {
		name:    "PD floor keeps the budget finite",
		policy:  func(p *Policy) { p.ELBudget = 10; p.Grades[4] = GradeRule{Cap: 1e9, AutoApproveUpTo: 1e9} },
		request: func(r *Request) { r.PD = 0; r.RequestedAmount = 1e8 },
		// 10 / (0.0003 × 0.45) = 74,074.07.
		limit: 74_000, policyLimit: 74_000, decision: ApproveInPart, binding: ConstraintELBudget,
	}, {
		name:    "no floor and no PD: the budget does not apply",
		policy:  func(p *Policy) { p.ELBudget = 10; p.PDFloor = 0 },
		request: func(r *Request) { r.PD = 0; r.RequestedAmount = 1e8 },
		limit:   300_000, policyLimit: 300_000, decision: Refer, binding: ConstraintGradeCap,
	}})
}

func TestDecideExternalLimit(t *testing.T) {
	runDecideCases(t, []decideCase{{
		name:    "insured limit binds",
		request: func(r *Request) { r.ExternalLimit = 25_000 },
		limit:   25_000, policyLimit: 25_000, decision: ApproveInPart, binding: ConstraintExternalLimit,
		rationale: []string{"Approved 25,000 of the 50,000 requested", "external limit of 25,000"},
	}, {
		name:    "refused cover declines",
		request: func(r *Request) { r.ExternalLimit = 0 },
		limit:   0, policyLimit: 0, decision: Decline, binding: ConstraintExternalLimit,
	}, {
		name:    "external limit above the request",
		request: func(r *Request) { r.ExternalLimit = 80_000 },
		limit:   50_000, policyLimit: 80_000, decision: Approve, binding: ConstraintRequested,
	}})
}

func TestDecideGradeCap(t *testing.T) {
	runDecideCases(t, []decideCase{{
		name:    "cap binds within the tier",
		policy:  func(p *Policy) { p.Grades[4] = GradeRule{Cap: 40_000, AutoApproveUpTo: 100_000} },
		request: func(r *Request) { r.RequestedAmount = 60_000 },
		limit:   40_000, policyLimit: 40_000, decision: ApproveInPart, binding: ConstraintGradeCap,
		rationale: []string{"grade 4 cap of 40,000"},
	}, {
		name:    "cap above the tier refers",
		request: func(r *Request) { r.Grade = 7; r.PD = 0.03; r.RequestedAmount = 60_000 },
		limit:   50_000, policyLimit: 50_000, decision: Refer, binding: ConstraintGradeCap,
		rationale: []string{"Referred", "above the automatic approval tier of 10,000 for grade 7"},
	}, {
		name:    "a tie goes to the constraint listed first",
		request: func(r *Request) { r.ExternalLimit = 300_000; r.RequestedAmount = 400_000 },
		limit:   300_000, policyLimit: 300_000, decision: Refer, binding: ConstraintExternalLimit,
	}, {
		name:    "zero cap declines",
		policy:  func(p *Policy) { p.Grades[4] = GradeRule{} },
		request: func(r *Request) {},
		limit:   0, policyLimit: 0, decision: Decline, binding: ConstraintGradeCap,
	}})
}

func TestDecideApprovalTiers(t *testing.T) {
	runDecideCases(t, []decideCase{{
		name:  "request within limit and tier",
		limit: 50_000, policyLimit: 300_000, decision: Approve, binding: ConstraintRequested,
		rationale: []string{"Approved 50,000 as requested", "allows up to 300,000", "grade 4 cap of 300,000", "expected loss 225"},
	}, {
		name:    "request at the tier is approved",
		request: func(r *Request) { r.RequestedAmount = 100_000 },
		limit:   100_000, policyLimit: 300_000, decision: Approve, binding: ConstraintRequested,
	}, {
		name:    "request above the tier is referred",
		request: func(r *Request) { r.RequestedAmount = 150_000 },
		limit:   150_000, policyLimit: 300_000, decision: Refer, binding: ConstraintRequested,
		rationale: []string{"150,000 is above the automatic approval tier of 100,000 for grade 4", "within the 300,000 the policy allows"},
	}, {
		name:    "partial amount above the tier is referred",
		request: func(r *Request) { r.RequestedAmount = 400_000 },
		limit:   300_000, policyLimit: 300_000, decision: Refer, binding: ConstraintGradeCap,
	}, {
		name:    "zero tier refers everything",
		policy:  func(p *Policy) { p.Grades[4] = GradeRule{Cap: 300_000} },
		request: func(r *Request) { r.RequestedAmount = 1 },
		limit:   1, policyLimit: 300_000, decision: Refer, binding: ConstraintRequested,
	}, {
		name:    "no amount requested: the policy limit is approved",
		request: func(r *Request) { r.Grade = 7; r.RequestedAmount = 0; r.NetWorth = 52_345 },
		limit:   5_200, policyLimit: 5_200, decision: Approve, binding: ConstraintFinancialCapacity,
		rationale: []string{"Approved a limit of 5,200"},
	}, {
		name:    "request equal to the policy limit is bound by the policy",
		request: func(r *Request) { r.ExternalLimit = 50_000 },
		limit:   50_000, policyLimit: 50_000, decision: Approve, binding: ConstraintExternalLimit,
	}})
}

func TestDecideReferGrades(t *testing.T) {
	runDecideCases(t, []decideCase{{
		name:    "grade 8 small request",
		request: func(r *Request) { r.Grade = 8; r.PD = 0.08; r.RequestedAmount = 5_000 },
		limit:   5_000, policyLimit: 25_000, decision: Refer, binding: ConstraintRequested,
		rationale: []string{"every request of grade 8 (PD 8%) is reviewed"},
	}, {
		name:    "grade 9 above its cap",
		request: func(r *Request) { r.Grade = 9; r.PD = 0.15; r.RequestedAmount = 50_000 },
		limit:   10_000, policyLimit: 10_000, decision: Refer, binding: ConstraintGradeCap,
		rationale: []string{"the policy allows 10,000 of the 50,000 requested"},
	}, {
		name:    "refer grade with no capacity is declined",
		request: func(r *Request) { r.Grade = 8; r.PD = 0.08; r.NetWorth = -1 },
		limit:   0, policyLimit: 0, decision: Decline, binding: ConstraintFinancialCapacity,
	}, {
		name:    "refer set on a good grade",
		policy:  func(p *Policy) { p.Grades[2] = GradeRule{Cap: 750_000, AutoApproveUpTo: 200_000, Refer: true} },
		request: func(r *Request) { r.Grade = 2; r.PD = 0.002 },
		limit:   50_000, policyLimit: 750_000, decision: Refer, binding: ConstraintRequested,
	}})
}

func TestDecideDefaultGrade(t *testing.T) {
	runDecideCases(t, []decideCase{{
		name:    "grade 10 declines",
		request: func(r *Request) { r.Grade = 10; r.PD = 1 },
		limit:   0, policyLimit: 0, decision: Decline, binding: ConstraintDefaultGrade,
		rationale: []string{"grade 10 (PD 100%) is the default grade"},
	}, {
		name: "grade 10 overrides every other figure",
		request: func(r *Request) {
			r.Grade, r.PD = 10, 0.001
			r.ExpectedMonthlySales, r.NetWorth, r.ExternalLimit = 100_000, 1e9, 1e6
			r.Temporary = &TemporaryLimit{Amount: 1e6, Expires: date(2026, 12, 31)}
		},
		limit: 0, policyLimit: 0, decision: Decline, binding: ConstraintDefaultGrade,
	}})
}

func TestDecideTemporaryLimit(t *testing.T) {
	seasonal := func(amount float64, expires, asOf time.Time, requested float64) func(*Request) {
		return func(r *Request) {
			r.Temporary = &TemporaryLimit{Amount: amount, Expires: expires}
			r.AsOf = asOf
			r.RequestedAmount = requested
		}
	}
	highTier := func(p *Policy) { p.Grades[4] = GradeRule{Cap: 300_000, AutoApproveUpTo: 1_000_000} }
	end := date(2026, 6, 30)
	runDecideCases(t, []decideCase{{
		name: "active temporary limit replaces the cap", policy: highTier,
		request: seasonal(400_000, end, date(2026, 3, 31), 450_000),
		limit:   400_000, policyLimit: 400_000, decision: ApproveInPart, binding: ConstraintTemporaryLimit,
		rationale: []string{"temporary limit of 400,000 through 2026-06-30"},
	}, {
		name: "in force on its expiry date", policy: highTier,
		request: seasonal(400_000, end, end, 450_000),
		limit:   400_000, policyLimit: 400_000, decision: ApproveInPart, binding: ConstraintTemporaryLimit,
	}, {
		name: "expiry compared as calendar dates", policy: highTier,
		request: seasonal(400_000, time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 23, 59, 0, 0, time.UTC), 450_000),
		limit:   400_000, policyLimit: 400_000, decision: ApproveInPart, binding: ConstraintTemporaryLimit,
	}, {
		name: "reverts the day after expiry", policy: highTier,
		request: seasonal(400_000, end, date(2026, 7, 1), 450_000),
		limit:   300_000, policyLimit: 300_000, decision: ApproveInPart, binding: ConstraintGradeCap,
		rationale: []string{"grade 4 cap of 300,000", "The temporary limit of 400,000 expired on 2026-06-30, so the permanent policy applies again."},
	}, {
		name:    "temporary reduction below the cap",
		request: seasonal(20_000, end, date(2026, 3, 31), 50_000),
		limit:   20_000, policyLimit: 20_000, decision: ApproveInPart, binding: ConstraintTemporaryLimit,
	}, {
		name: "other constraints still apply", policy: highTier,
		request: func(r *Request) {
			seasonal(400_000, end, date(2026, 3, 31), 450_000)(r)
			r.ExternalLimit = 350_000
		},
		limit: 350_000, policyLimit: 350_000, decision: ApproveInPart, binding: ConstraintExternalLimit,
	}, {
		name:    "automatic tier still applies",
		request: seasonal(400_000, end, date(2026, 3, 31), 450_000),
		limit:   400_000, policyLimit: 400_000, decision: Refer, binding: ConstraintTemporaryLimit,
	}})

	// The grade cap is reported as not applicable while the temporary limit is
	// in force, and the temporary limit as not applicable once it has expired.
	p := DefaultPolicy()
	for _, tc := range []struct {
		asOf                  time.Time
		wantCap, wantTemporay bool
	}{
		{date(2026, 6, 30), false, true},
		{date(2026, 7, 1), true, false},
	} {
		r := baseRequest()
		seasonal(400_000, end, tc.asOf, 450_000)(&r)
		res, err := p.Decide(r)
		if err != nil {
			t.Fatal(err)
		}
		cs := byName(res.Constraints)
		if got := cs[ConstraintGradeCap].Applies(); got != tc.wantCap {
			t.Errorf("as of %s: grade cap applies: got %v; want %v", tc.asOf.Format(time.DateOnly), got, tc.wantCap)
		}
		if got := cs[ConstraintTemporaryLimit].Applies(); got != tc.wantTemporay {
			t.Errorf("as of %s: temporary limit applies: got %v; want %v", tc.asOf.Format(time.DateOnly), got, tc.wantTemporay)
		}
	}
}

func TestDecideRounding(t *testing.T) {
	need := func(r *Request) {
		r.RequestedAmount = 60_000
		r.ExpectedMonthlySales = 45_678
	}
	runDecideCases(t, []decideCase{{
		name: "down to 100", request: need,
		limit: 45_600, policyLimit: 45_600, decision: ApproveInPart, binding: ConstraintNeed,
	}, {
		name: "down to 1,000", request: need, policy: func(p *Policy) { p.RoundTo = 1_000 },
		limit: 45_000, policyLimit: 45_000, decision: ApproveInPart, binding: ConstraintNeed,
	}, {
		name: "no rounding", request: need, policy: func(p *Policy) { p.RoundTo = 0 },
		limit: 45_678, policyLimit: 45_678, decision: ApproveInPart, binding: ConstraintNeed,
	}, {
		name: "a multiple stays", request: func(r *Request) { need(r); r.ExpectedMonthlySales = 45_600 },
		limit: 45_600, policyLimit: 45_600, decision: ApproveInPart, binding: ConstraintNeed,
	}, {
		name: "the request is never rounded", request: func(r *Request) { r.RequestedAmount = 10_050 },
		limit: 10_050, policyLimit: 300_000, decision: Approve, binding: ConstraintRequested,
	}, {
		name: "rounding below the request approves in part",
		request: func(r *Request) {
			r.RequestedAmount = 45_650
			r.ExpectedMonthlySales = 45_678
		},
		limit: 45_600, policyLimit: 45_600, decision: ApproveInPart, binding: ConstraintNeed,
	}})
}

func TestDecideCurrentLimit(t *testing.T) {
	runDecideCases(t, []decideCase{{
		name:    "current limit above the policy limit",
		request: func(r *Request) { r.CurrentLimit = 80_000; r.ExternalLimit = 60_000 },
		limit:   50_000, policyLimit: 60_000, decision: Approve, binding: ConstraintRequested,
		rationale: []string{"The current limit of 80,000 is above the 60,000 the policy allows and should be reduced with notice."},
	}})

	// Within the policy limit the current limit is not mentioned.
	r := baseRequest()
	r.CurrentLimit = 40_000
	res, err := DefaultPolicy().Decide(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.Rationale, "current limit") {
		t.Errorf("rationale: got %q; want no mention of the current limit", res.Rationale)
	}
}

func TestDecideConstraintList(t *testing.T) {
	r := baseRequest()
	r.ExpectedMonthlySales = 30_000
	r.NetWorth = 1_000_000
	res, err := DefaultPolicy().Decide(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name   string
		amount float64 // NaN: does not apply
	}{
		{ConstraintNeed, 30_000},
		{ConstraintFinancialCapacity, 100_000},
		{ConstraintELBudget, 5_000 / (0.01 * 0.45)},
		{ConstraintExternalLimit, nan},
		{ConstraintGradeCap, 300_000},
		{ConstraintTemporaryLimit, nan},
		{ConstraintRequested, 50_000},
	}
	if len(res.Constraints) != len(want) {
		t.Fatalf("constraints: got %d; want %d", len(res.Constraints), len(want))
	}
	for i, w := range want {
		c := res.Constraints[i]
		if c.Name != w.name {
			t.Errorf("constraint %d: got %q; want %q", i, c.Name, w.name)
		}
		if !sameAmount(c.Amount, w.amount) {
			t.Errorf("%s: got %v; want %v", c.Name, c.Amount, w.amount)
		}
		if c.Detail == "" {
			t.Errorf("%s: empty detail", c.Name)
		}
		if c.Binding != (c.Name == ConstraintNeed) {
			t.Errorf("%s: binding %v; want %v", c.Name, c.Binding, !c.Binding)
		}
	}
}

func TestDecideInvalidRequest(t *testing.T) {
	cases := []struct {
		field  string
		modify func(*Request)
	}{
		{"pd", func(r *Request) { r.PD = -0.01 }},
		{"pd", func(r *Request) { r.PD = 1.5 }},
		{"pd", func(r *Request) { r.PD = nan }},
		{"grade", func(r *Request) { r.Grade = 0 }},
		{"grade", func(r *Request) { r.Grade = 11 }},
		{"requested_amount", func(r *Request) { r.RequestedAmount = -1 }},
		{"requested_amount", func(r *Request) { r.RequestedAmount = nan }},
		{"requested_amount", func(r *Request) { r.RequestedAmount = math.Inf(1) }},
		{"payment_terms_days", func(r *Request) { r.PaymentTermsDays = 0 }},
		{"payment_terms_days", func(r *Request) { r.PaymentTermsDays = -30 }},
		{"expected_days_beyond_terms", func(r *Request) { r.ExpectedDaysBeyondTerms = math.Inf(1) }},
		{"expected_monthly_sales", func(r *Request) { r.ExpectedMonthlySales = -100 }},
		{"unbilled_orders", func(r *Request) { r.UnbilledOrders = -1 }},
		{"net_worth", func(r *Request) { r.NetWorth = math.Inf(-1) }},
		{"working_capital", func(r *Request) { r.WorkingCapital = math.Inf(1) }},
		{"external_limit", func(r *Request) { r.ExternalLimit = -5 }},
		{"current_limit", func(r *Request) { r.CurrentLimit = math.Inf(1) }},
		{"as_of", func(r *Request) { r.AsOf = time.Time{} }},
		{"temporary.amount", func(r *Request) { r.Temporary = &TemporaryLimit{Amount: -1, Expires: date(2026, 6, 30)} }},
		{"temporary.expires", func(r *Request) { r.Temporary = &TemporaryLimit{Amount: 1_000} }},
	}
	for _, tc := range cases {
		r := baseRequest()
		tc.modify(&r)
		_, err := DefaultPolicy().Decide(r)
		if !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: got error %v; want ErrInvalidRequest", tc.field, err)
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: got %v; want a FieldError for %q", tc.field, err, tc.field)
		}
		if !strings.Contains(err.Error(), tc.field+": ") {
			t.Errorf("%s: message %q does not name the field", tc.field, err)
		}
	}

	// Every invalid field is reported, not only the first.
	r := baseRequest()
	r.PD, r.Grade = 2, 0
	_, err := DefaultPolicy().Decide(r)
	for _, field := range []string{"pd: ", "grade: "} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("two invalid fields: got %v; want it to name %q", err, field)
		}
	}
}

func TestDecideInvalidPolicy(t *testing.T) {
	p := DefaultPolicy()
	p.LGD = 0
	_, err := p.Decide(baseRequest())
	if !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("got %v; want ErrInvalidPolicy", err)
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{999, "999"},
		{1_000, "1,000"},
		{1_234_567, "1,234,567"},
		{1_234.5, "1,234.50"},
		{-200_000, "-200,000"},
		{44_444.444, "44,444.44"},
		{nan, "unknown"},
	} {
		if got := formatAmount(tc.in); got != tc.want {
			t.Errorf("formatAmount(%v): got %q; want %q", tc.in, got, tc.want)
		}
	}
}

func byName(cs []Constraint) map[string]Constraint {
	m := make(map[string]Constraint, len(cs))
	for _, c := range cs {
		m[c.Name] = c
	}
	return m
}

// sameAmount compares amounts that should be computed the same way, NaN
// matching NaN; the relative tolerance allows for the order of operations.
func sameAmount(got, want float64) bool {
	if math.IsNaN(got) || math.IsNaN(want) {
		return math.IsNaN(got) && math.IsNaN(want)
	}
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}
