package limit

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// checkInvariants checks what must hold for every decision, whatever the
// inputs.
func checkInvariants(t *testing.T, p Policy, r Request, res Result) {
	t.Helper()
	limit := res.RecommendedLimit
	if !(limit >= 0) || math.IsInf(limit, 0) {
		t.Fatalf("limit %v: want a finite amount >= 0 (request %+v)", limit, r)
	}
	if limit > res.PolicyLimit {
		t.Errorf("limit %v above the policy limit %v", limit, res.PolicyLimit)
	}
	bindings := 0
	for _, c := range res.Constraints {
		if c.Applies() && limit > c.Amount {
			t.Errorf("limit %v above constraint %s = %v (request %+v)", limit, c.Name, c.Amount, r)
		}
		if c.Applies() && c.Name != ConstraintRequested && res.PolicyLimit > c.Amount {
			t.Errorf("policy limit %v above constraint %s = %v", res.PolicyLimit, c.Name, c.Amount)
		}
		if c.Binding {
			bindings++
			if c.Name != res.BindingConstraint {
				t.Errorf("constraint %s marked binding; want %s", c.Name, res.BindingConstraint)
			}
			if !c.Applies() {
				t.Errorf("binding constraint %s does not apply", c.Name)
			}
		}
	}
	if bindings != 1 {
		t.Errorf("binding constraints: got %d; want 1", bindings)
	}
	if (res.Decision == Decline) != (limit == 0) {
		t.Errorf("decision %q with limit %v: want decline exactly when the limit is zero", res.Decision, limit)
	}
	if r.Grade == DefaultGrade && res.Decision != Decline {
		t.Errorf("grade %d: got %q; want %q", r.Grade, res.Decision, Decline)
	}
	if r.RequestedAmount > 0 && limit > r.RequestedAmount {
		t.Errorf("limit %v above the requested %v", limit, r.RequestedAmount)
	}
	rule := p.Grades[r.Grade]
	switch res.Decision {
	case Approve, ApproveInPart:
		if rule.Refer || limit > rule.AutoApproveUpTo {
			t.Errorf("%q of %v for grade %d with rule %+v: want refer", res.Decision, limit, r.Grade, rule)
		}
		if (res.Decision == Approve) != (r.RequestedAmount == 0 || limit == r.RequestedAmount) {
			t.Errorf("%q of %v for %v requested", res.Decision, limit, r.RequestedAmount)
		}
	case Refer:
		if !rule.Refer && limit <= rule.AutoApproveUpTo {
			t.Errorf("refer of %v within the tier %v", limit, rule.AutoApproveUpTo)
		}
	case Decline:
	default:
		t.Errorf("unknown decision %q", res.Decision)
	}
	if r.Grade != DefaultGrade && p.RoundTo > 0 {
		if q := res.PolicyLimit / p.RoundTo; q != math.Trunc(q) {
			t.Errorf("policy limit %v is not a multiple of %v", res.PolicyLimit, p.RoundTo)
		}
	}
	if want := max(r.PD, p.PDFloor) * p.LGD * limit; res.ExpectedLoss != want {
		t.Errorf("expected loss: got %v; want PD × LGD × limit = %v", res.ExpectedLoss, want)
	}
	if res.Rationale == "" {
		t.Error("empty rationale")
	}
}

// randomRequest draws a valid request in which each optional figure is
// unknown about a third of the time.
func randomRequest(rng *rand.Rand) Request {
	maybe := func(x float64) float64 {
		if rng.IntN(3) == 0 {
			return math.NaN()
		}
		return x
	}
	amount := func(scale float64) float64 {
		if rng.IntN(10) == 0 {
			return 0
		}
		return math.Round(rng.Float64()*scale*100) / 100
	}
	asOf := date(2026, 1, 1).AddDate(0, 0, rng.IntN(365))
	r := Request{
		CustomerID:              "C",
		PD:                      rng.Float64() * rng.Float64(), // mostly small
		Grade:                   1 + rng.IntN(DefaultGrade),
		RequestedAmount:         amount(500_000),
		PaymentTermsDays:        []int{7, 14, 30, 45, 60, 90}[rng.IntN(6)],
		ExpectedDaysBeyondTerms: maybe(rng.NormFloat64() * 20),
		ExpectedMonthlySales:    maybe(amount(200_000)),
		UnbilledOrders:          maybe(amount(50_000)),
		NetWorth:                maybe(rng.NormFloat64() * 2_000_000),
		WorkingCapital:          maybe(rng.NormFloat64() * 1_000_000),
		ExternalLimit:           maybe(amount(400_000)),
		CurrentLimit:            maybe(amount(400_000)),
		AsOf:                    asOf,
	}
	if rng.IntN(4) == 0 {
		r.Temporary = &TemporaryLimit{Amount: amount(800_000), Expires: asOf.AddDate(0, 0, rng.IntN(61)-30)}
	}
	if rng.IntN(20) == 0 {
		r.PD = []float64{0, 1}[rng.IntN(2)]
	}
	return r
}

// randomPolicy varies the default policy's figures.
func randomPolicy(rng *rand.Rand) Policy {
	p := DefaultPolicy()
	p.LGD = 0.1 + 0.9*rng.Float64()
	p.ELBudget = 100 + rng.Float64()*20_000
	p.PDFloor = []float64{0, 0.0003, 0.001}[rng.IntN(3)]
	p.RoundTo = []float64{0, 1, 100, 250, 1_000}[rng.IntN(5)]
	for g, rule := range p.Grades {
		rule.AutoApproveUpTo = rule.Cap * rng.Float64()
		rule.Refer = rng.IntN(5) == 0
		p.Grades[g] = rule
	}
	return p
}

func TestDecideProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	decisions := map[Decision]int{}
	for range 20_000 {
		p, r := randomPolicy(rng), randomRequest(rng)
		res, err := p.Decide(r)
		if err != nil {
			t.Fatalf("Decide(%+v): %v", r, err)
		}
		checkInvariants(t, p, r, res)
		decisions[res.Decision]++
		if t.Failed() {
			t.Fatalf("policy %+v request %+v result %+v", p, r, res)
		}
	}
	// The draw must reach every decision, or the invariants were not tested
	// on it.
	for _, d := range []Decision{Approve, ApproveInPart, Decline, Refer} {
		if decisions[d] == 0 {
			t.Errorf("no %q among the random requests: %v", d, decisions)
		}
	}
}

func FuzzDecide(f *testing.F) {
	f.Add(0.01, 4, 50_000.0, 30, 10.0, 30_000.0, 400_000.0, 150_000.0, 80_000.0, 400_000.0, 0)
	f.Add(1.0, 10, 0.0, 60, math.NaN(), math.NaN(), -1.0, math.NaN(), 0.0, 0.0, 45)
	f.Fuzz(func(t *testing.T, pd float64, grade int, requested float64, terms int, dbt, sales, netWorth, workingCapital, external, temporary float64, expiresInDays int) {
		r := Request{
			PD: pd, Grade: grade, RequestedAmount: requested, PaymentTermsDays: terms,
			ExpectedDaysBeyondTerms: dbt, ExpectedMonthlySales: sales, UnbilledOrders: math.NaN(),
			NetWorth: netWorth, WorkingCapital: workingCapital, ExternalLimit: external, CurrentLimit: math.NaN(),
			AsOf: date(2026, 3, 31),
		}
		if expiresInDays != 0 {
			r.Temporary = &TemporaryLimit{Amount: temporary, Expires: r.AsOf.Add(time.Duration(expiresInDays%1000) * 24 * time.Hour)}
		}
		p := DefaultPolicy()
		res, err := p.Decide(r)
		if err != nil {
			return // invalid requests are reported, which the table tests check
		}
		checkInvariants(t, p, r, res)
	})
}

// TestDecideFiguresSameDecision holds DecideFigures to Decide, bit for bit,
// but for the text it leaves out.
func TestDecideFiguresSameDecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
	}
	for range 20_000 {
		p, r := randomPolicy(rng), randomRequest(rng)
		want, err := p.Decide(r)
		if err != nil {
			t.Fatalf("Decide(%+v): %v", r, err)
		}
		got, err := p.DecideFigures(r)
		if err != nil {
			t.Fatalf("DecideFigures(%+v): %v", r, err)
		}
		if got.Rationale != "" {
			t.Fatalf("rationale %q; want none", got.Rationale)
		}
		if got.Decision != want.Decision || got.BindingConstraint != want.BindingConstraint ||
			!same(got.RecommendedLimit, want.RecommendedLimit) || !same(got.PolicyLimit, want.PolicyLimit) ||
			!same(got.ExpectedLoss, want.ExpectedLoss) || len(got.Constraints) != len(want.Constraints) {
			t.Fatalf("request %+v: got %+v; want %+v", r, got, want)
		}
		for i, c := range want.Constraints {
			g := got.Constraints[i]
			if g.Name != c.Name || g.Binding != c.Binding || !same(g.Amount, c.Amount) || g.Detail != "" {
				t.Fatalf("request %+v, constraint %d: got %+v; want %+v without detail", r, i, g, c)
			}
		}
	}
	if _, err := DefaultPolicy().DecideFigures(Request{}); err == nil {
		t.Error("DecideFigures of an empty request: no error; want the same errors as Decide")
	}
}
