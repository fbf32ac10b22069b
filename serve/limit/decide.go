package limit

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Request is what Credence knows about one customer when it decides a limit.
// Optional amounts are NaN when unknown; read each field's comment for what its
// zero value means, because for some of them zero is a real figure that caps
// the limit at zero.
type Request struct {
	CustomerID string

	// PD is the calibrated probability of default over the model horizon, in
	// [0, 1].
	PD float64

	// Grade is the grade on the master scale, 1..10; 10 is in default.
	Grade int

	// RequestedAmount is the limit asked for, >= 0. Zero asks what the policy
	// allows.
	RequestedAmount float64

	// PaymentTermsDays is the agreed payment term in days, > 0 (e.g. 30, 60).
	PaymentTermsDays int

	// ExpectedDaysBeyondTerms is how late the customer pays on average, from
	// its payment history (amount-weighted days beyond terms). NaN or zero:
	// pays on time; below zero counts as zero.
	ExpectedDaysBeyondTerms float64

	// ExpectedMonthlySales is the peak month's expected sales to the
	// customer, >= 0. NaN or zero: unknown, and the need does not apply.
	ExpectedMonthlySales float64

	// UnbilledOrders is the value of orders accepted but not yet invoiced,
	// added to the need when the need applies. NaN or zero: none.
	UnbilledOrders float64

	// NetWorth and WorkingCapital are the customer's latest figures; NaN means
	// unknown. Zero is a known zero and caps the limit at zero.
	NetWorth, WorkingCapital float64

	// ExternalLimit is the insured or external limit on the customer; NaN
	// means there is none. Zero means cover was refused and caps the limit at
	// zero.
	ExternalLimit float64

	// CurrentLimit is the limit in force, >= 0; NaN or zero: none. It is not a
	// constraint: the rationale says when it is above what the policy allows.
	CurrentLimit float64

	// AsOf is the date of the decision; only its calendar date is used.
	// Required.
	AsOf time.Time

	// Temporary is a seasonal or temporary limit in force for the customer,
	// or nil.
	Temporary *TemporaryLimit
}

// TemporaryLimit is a limit granted for a period, such as a seasonal peak. It
// is in force through Expires (a calendar date, inclusive) and reverts to the
// permanent policy by itself on the day after. While in force, Amount replaces
// the grade cap; every other rule still applies.
type TemporaryLimit struct {
	Amount  float64   `json:"amount" yaml:"amount"`
	Expires time.Time `json:"expires" yaml:"expires"`
}

// Decision is the answer to a limit request.
type Decision string

const (
	Approve       Decision = "approve"         // the requested amount in full
	ApproveInPart Decision = "approve_in_part" // less than requested, within the automatic tier
	Decline       Decision = "decline"         // no limit
	Refer         Decision = "refer"           // a credit analyst decides
)

// Names of the constraints in [Result.Constraints] and
// [Result.BindingConstraint].
const (
	ConstraintNeed              = "need"
	ConstraintFinancialCapacity = "financial_capacity"
	ConstraintELBudget          = "expected_loss_budget"
	ConstraintExternalLimit     = "external_limit"
	ConstraintGradeCap          = "grade_cap"
	ConstraintTemporaryLimit    = "temporary_limit"
	ConstraintRequested         = "requested"
	ConstraintDefaultGrade      = "default_grade"
)

// Constraint is one upper bound evaluated for a decision.
type Constraint struct {
	Name    string  `json:"name"`
	Amount  float64 `json:"amount"` // NaN when the constraint does not apply; null in JSON
	Binding bool    `json:"binding"`
	Detail  string  `json:"detail"` // how the amount was reached, or why it does not apply
}

// Applies reports whether the constraint bounds the limit.
func (c Constraint) Applies() bool { return !math.IsNaN(c.Amount) }

// constraintJSON is a Constraint with a nullable amount, since JSON has no
// NaN.
type constraintJSON struct {
	Name    string   `json:"name"`
	Amount  *float64 `json:"amount"`
	Binding bool     `json:"binding"`
	Detail  string   `json:"detail"`
}

// MarshalJSON writes a constraint that does not apply with a null amount.
func (c Constraint) MarshalJSON() ([]byte, error) {
	v := constraintJSON{Name: c.Name, Binding: c.Binding, Detail: c.Detail}
	if c.Applies() {
		v.Amount = &c.Amount
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads a null amount back as NaN.
func (c *Constraint) UnmarshalJSON(b []byte) error {
	var v constraintJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Constraint{Name: v.Name, Amount: math.NaN(), Binding: v.Binding, Detail: v.Detail}
	if v.Amount != nil {
		c.Amount = *v.Amount
	}
	return nil
}

// Result is a decision on a limit request with everything that led to it.
type Result struct {
	// RecommendedLimit is the limit Credence recommends: the policy limit, but
	// never more than the requested amount. For a referral it is the proposal
	// put to the analyst; for a decline it is zero.
	RecommendedLimit float64 `json:"recommended_limit"`

	// PolicyLimit is the most the policy allows whatever was requested: the
	// smallest applicable constraint, rounded down.
	PolicyLimit float64 `json:"policy_limit"`

	Decision Decision `json:"decision"`

	// ExpectedLoss is max(PD, PDFloor) × LGD × RecommendedLimit: the whole
	// limit is taken as the exposure at default.
	ExpectedLoss float64 `json:"expected_loss"`

	// BindingConstraint names the constraint that set RecommendedLimit.
	BindingConstraint string `json:"binding_constraint"`

	// Rationale explains the decision with its figures, for a credit analyst.
	Rationale string `json:"rationale"`

	// Constraints lists every constraint evaluated, in a fixed order: need,
	// financial_capacity, expected_loss_budget, external_limit, grade_cap,
	// temporary_limit, requested, then default_grade for grade 10 only.
	Constraints []Constraint `json:"constraints"`
}

// ErrInvalidRequest is wrapped by every error that reports an invalid request.
var ErrInvalidRequest = errors.New("invalid limit request")

// Decide applies the policy to one request. It returns an error wrapping
// [ErrInvalidPolicy] if p is invalid, or [ErrInvalidRequest] with a
// [FieldError] naming each invalid field of r.
func (p Policy) Decide(r Request) (Result, error) {
	if err := p.Validate(); err != nil {
		return Result{}, err
	}
	if err := r.validate(); err != nil {
		return Result{}, err
	}
	pd := max(r.PD, p.PDFloor)
	d := decider{p: p, r: r, pd: pd, text: true}
	return d.decide(), nil
}

// DecideFigures decides as Decide does, to the same decision, limits,
// expected loss and binding constraint, but leaves the rationale and the
// constraints' details empty. Writing them is a fifth of the cost of a
// decision; batch rescoring, which never shows them, decides with this.
func (p Policy) DecideFigures(r Request) (Result, error) {
	if err := p.Validate(); err != nil {
		return Result{}, err
	}
	if err := r.validate(); err != nil {
		return Result{}, err
	}
	d := decider{p: p, r: r, pd: max(r.PD, p.PDFloor)}
	return d.decide(), nil
}

// validate reports each invalid field of r.
func (r Request) validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if !(r.PD >= 0 && r.PD <= 1) {
		bad("pd", "%v is outside [0, 1]", r.PD)
	}
	if r.Grade < minGrade || r.Grade > DefaultGrade {
		bad("grade", "%d is outside %d..%d", r.Grade, minGrade, DefaultGrade)
	}
	if !validAmount(r.RequestedAmount) {
		bad("requested_amount", "%v is not an amount >= 0", r.RequestedAmount)
	}
	if r.PaymentTermsDays <= 0 {
		bad("payment_terms_days", "%d is not a positive number of days", r.PaymentTermsDays)
	}
	if math.IsInf(r.ExpectedDaysBeyondTerms, 0) {
		bad("expected_days_beyond_terms", "%v is not a number of days", r.ExpectedDaysBeyondTerms)
	}
	optionalAmount := func(field string, x float64) {
		if !math.IsNaN(x) && !validAmount(x) {
			bad(field, "%v is not an amount >= 0 (NaN when unknown)", x)
		}
	}
	optionalAmount("expected_monthly_sales", r.ExpectedMonthlySales)
	optionalAmount("unbilled_orders", r.UnbilledOrders)
	optionalAmount("external_limit", r.ExternalLimit)
	optionalAmount("current_limit", r.CurrentLimit)
	if math.IsInf(r.NetWorth, 0) {
		bad("net_worth", "%v is not an amount (NaN when unknown)", r.NetWorth)
	}
	if math.IsInf(r.WorkingCapital, 0) {
		bad("working_capital", "%v is not an amount (NaN when unknown)", r.WorkingCapital)
	}
	if r.AsOf.IsZero() {
		bad("as_of", "missing")
	}
	if t := r.Temporary; t != nil {
		if !validAmount(t.Amount) {
			bad("temporary.amount", "%v is not an amount >= 0", t.Amount)
		}
		if t.Expires.IsZero() {
			bad("temporary.expires", "missing")
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, errors.Join(errs...))
	}
	return nil
}

// decider holds one valid decision in progress.
type decider struct {
	p    Policy
	r    Request
	pd   float64 // floored PD
	text bool    // write the rationale and the constraints' details
}

// Indexes in Result.Constraints: the policy constraints come first, then
// the request, then the default grade.
const (
	iRequested = 6
	iDefault   = 7
)

func (d decider) decide() Result {
	r := d.r
	cs := []Constraint{
		d.need(),
		d.capacity(),
		d.elBudget(),
		d.external(),
		d.gradeCap(),
		d.temporary(),
		d.requested(),
	}

	var res Result
	if r.Grade == DefaultGrade {
		// The other constraints are listed for the record; none of them
		// matters.
		cs = append(cs, Constraint{
			Name:   ConstraintDefaultGrade,
			Amount: 0,
			Detail: fmt.Sprintf("grade %d is the default grade", DefaultGrade),
		})
		cs[iDefault].Binding = true
		res.Decision = Decline
		res.BindingConstraint = ConstraintDefaultGrade
		res.Constraints = cs
		if d.text {
			res.Rationale = d.rationale(res, cs[iDefault])
		} else {
			clearDetails(cs)
		}
		return res
	}

	// The policy limit: the smallest applicable policy constraint (all but
	// the request), a tie going to the one listed first. The grade cap or the
	// temporary limit always applies, so there is one.
	bind := -1
	for i, c := range cs[:iRequested] {
		if c.Applies() && (bind < 0 || c.Amount < cs[bind].Amount) {
			bind = i
		}
	}
	policyBind := bind
	policy := roundDown(cs[bind].Amount, d.p.RoundTo)
	limit := policy
	if req := cs[iRequested]; req.Applies() && req.Amount < policy {
		bind, limit = iRequested, req.Amount
	}

	rule := d.p.Grades[r.Grade]
	switch {
	case limit == 0:
		res.Decision = Decline
	case rule.Refer:
		res.Decision = Refer
	case limit > rule.AutoApproveUpTo:
		res.Decision = Refer
	case r.RequestedAmount == 0 || limit == r.RequestedAmount:
		res.Decision = Approve
	default:
		res.Decision = ApproveInPart
	}
	cs[bind].Binding = true
	res.RecommendedLimit = limit
	res.PolicyLimit = policy
	res.ExpectedLoss = d.pd * d.p.LGD * limit
	res.BindingConstraint = cs[bind].Name
	res.Constraints = cs
	if d.text {
		res.Rationale = d.rationale(res, cs[policyBind])
	} else {
		clearDetails(cs)
	}
	return res
}

// clearDetails empties the details a decision without text left: the
// fixed ones, which cost nothing to write.
func clearDetails(cs []Constraint) {
	for i := range cs {
		cs[i].Detail = ""
	}
}

func (d decider) need() Constraint {
	r := d.r
	c := Constraint{Name: ConstraintNeed, Amount: math.NaN(), Detail: "expected monthly sales unknown"}
	if !(r.ExpectedMonthlySales > 0) {
		return c
	}
	dbt := r.ExpectedDaysBeyondTerms
	if !(dbt > 0) { // NaN, zero or paying early
		dbt = 0
	}
	c.Amount = r.ExpectedMonthlySales * (float64(r.PaymentTermsDays) + dbt) / 30
	if r.UnbilledOrders > 0 {
		c.Amount += r.UnbilledOrders
	}
	if !d.text {
		return c
	}
	days := fmt.Sprintf("%d days of terms", r.PaymentTermsDays)
	if dbt > 0 {
		days = fmt.Sprintf("(%s + %s days beyond terms)", days, formatNumber(dbt))
	}
	c.Detail = fmt.Sprintf("peak monthly sales %s × %s / 30", formatAmount(r.ExpectedMonthlySales), days)
	if r.UnbilledOrders > 0 {
		c.Detail += " + unbilled orders " + formatAmount(r.UnbilledOrders)
	}
	c.Detail = "the credit need of " + formatAmount(c.Amount) + " (" + c.Detail + ")"
	return c
}

func (d decider) capacity() Constraint {
	r, p := d.r, d.p
	c := Constraint{Name: ConstraintFinancialCapacity, Amount: math.NaN(), Detail: "net worth and working capital unknown"}
	var nw, wc string
	if d.text {
		nw = fmt.Sprintf("%s of net worth %s", formatPercent(p.NetWorthShare), formatAmount(r.NetWorth))
		wc = fmt.Sprintf("%s of working capital %s", formatPercent(p.WorkingCapitalShare), formatAmount(r.WorkingCapital))
	}
	byNW := max(0, p.NetWorthShare*r.NetWorth) // NaN stays NaN
	byWC := max(0, p.WorkingCapitalShare*r.WorkingCapital)
	switch {
	case !math.IsNaN(byNW) && !math.IsNaN(byWC):
		c.Amount = min(byNW, byWC)
		c.Detail = fmt.Sprintf("the lower of %s and %s", nw, wc)
	case !math.IsNaN(byNW):
		c.Amount = byNW
		c.Detail = nw
	case !math.IsNaN(byWC):
		c.Amount = byWC
		c.Detail = wc
	default:
		return c
	}
	if !d.text {
		return c
	}
	c.Detail = "the financial capacity of " + formatAmount(c.Amount) + " (" + c.Detail + ")"
	return c
}

func (d decider) elBudget() Constraint {
	p := d.p
	c := Constraint{Name: ConstraintELBudget, Amount: math.NaN(), Detail: "PD is zero"}
	if d.pd == 0 {
		return c
	}
	c.Amount = p.ELBudget / (d.pd * p.LGD)
	if !d.text {
		return c
	}
	c.Detail = fmt.Sprintf("the expected-loss budget of %s (%s / (PD %s × LGD %s) = %s)",
		formatAmount(p.ELBudget), formatAmount(p.ELBudget), formatPercent(d.pd), formatPercent(p.LGD), formatAmount(c.Amount))
	return c
}

func (d decider) external() Constraint {
	c := Constraint{Name: ConstraintExternalLimit, Amount: math.NaN(), Detail: "no external limit"}
	if x := d.r.ExternalLimit; !math.IsNaN(x) {
		c.Amount = x
		if d.text {
			c.Detail = "the external limit of " + formatAmount(x)
		}
	}
	return c
}

func (d decider) gradeCap() Constraint {
	r := d.r
	c := Constraint{Name: ConstraintGradeCap, Amount: math.NaN()}
	if !d.text {
		if r.Grade != DefaultGrade && !d.temporaryInForce() {
			c.Amount = d.p.Grades[r.Grade].Cap
		}
		return c
	}
	switch {
	case r.Grade == DefaultGrade:
		c.Detail = fmt.Sprintf("grade %d is the default grade", DefaultGrade)
	case d.temporaryInForce():
		c.Detail = fmt.Sprintf("replaced by the temporary limit through %s", formatDate(r.Temporary.Expires))
	default:
		c.Amount = d.p.Grades[r.Grade].Cap
		c.Detail = fmt.Sprintf("the grade %d cap of %s", r.Grade, formatAmount(c.Amount))
	}
	return c
}

func (d decider) temporary() Constraint {
	t := d.r.Temporary
	c := Constraint{Name: ConstraintTemporaryLimit, Amount: math.NaN(), Detail: "no temporary limit"}
	if !d.text {
		if d.temporaryInForce() {
			c.Amount = t.Amount
		}
		return c
	}
	switch {
	case t == nil:
	case d.temporaryInForce():
		c.Amount = t.Amount
		c.Detail = fmt.Sprintf("the temporary limit of %s through %s", formatAmount(t.Amount), formatDate(t.Expires))
	default:
		c.Detail = fmt.Sprintf("the temporary limit of %s expired on %s", formatAmount(t.Amount), formatDate(t.Expires))
	}
	return c
}

func (d decider) requested() Constraint {
	c := Constraint{Name: ConstraintRequested, Amount: math.NaN(), Detail: "no amount requested"}
	if x := d.r.RequestedAmount; x > 0 {
		c.Amount = x
		if d.text {
			c.Detail = "the requested amount of " + formatAmount(x)
		}
	}
	return c
}

// temporaryInForce reports whether the as-of date is on or before the expiry
// date of the temporary limit.
func (d decider) temporaryInForce() bool {
	t := d.r.Temporary
	return t != nil && !calendarDate(d.r.AsOf).After(calendarDate(t.Expires))
}

// calendarDate returns the date of t in its own location, as midnight UTC.
func calendarDate(t time.Time) time.Time {
	y, m, day := t.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
}

// roundDown rounds x >= 0 down to a multiple of step; step 0 leaves x as is.
func roundDown(x, step float64) float64 {
	if step == 0 {
		return x
	}
	q := math.Floor(x / step)
	// x/step may round up across an integer; step back so the result never
	// exceeds x.
	for q > 0 && q*step > x {
		q--
	}
	return q * step
}
