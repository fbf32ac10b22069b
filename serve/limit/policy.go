package limit

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// DefaultGrade is the grade of a customer in default on the master scale: it
// always gets a zero limit.
const DefaultGrade = 10

// Grades on the master scale run from 1 (best) to DefaultGrade.
const minGrade = 1

// Policy is a credit-limit policy. The zero value is not usable: start from
// [DefaultPolicy] or load a complete policy from configuration and call
// [Policy.Validate]. All amounts are in the book's currency.
type Policy struct {
	// LGD is the loss given default used for the expected loss and the
	// expected-loss budget, in (0, 1]. Default 0.45, the Basel foundation IRB
	// value for senior unsecured claims.
	LGD float64 `json:"lgd" yaml:"lgd"`

	// NetWorthShare is the share of net worth that may be lent, in (0, 1].
	// Default 0.10.
	NetWorthShare float64 `json:"net_worth_share" yaml:"net_worth_share"`

	// WorkingCapitalShare is the share of working capital that may be lent, in
	// (0, 1]. Default 0.20.
	WorkingCapitalShare float64 `json:"working_capital_share" yaml:"working_capital_share"`

	// ELBudget is the largest expected loss accepted on one customer, > 0. The
	// limit is at most ELBudget / (PD × LGD). Default 5,000.
	ELBudget float64 `json:"el_budget" yaml:"el_budget"`

	// PDFloor is the smallest PD used for the expected loss, in [0, 1), so that
	// a PD of zero never means unlimited credit. Default 0.0003, the 0.03%
	// floor of the Capital Requirements Regulation (Art. 160). Zero disables
	// the floor.
	PDFloor float64 `json:"pd_floor" yaml:"pd_floor"`

	// Grades holds the rule of each grade 1..9 on the master scale; every one
	// of them must be present. Grade 10 (default) has a fixed rule, a zero
	// limit, and must not appear.
	Grades map[int]GradeRule `json:"grades" yaml:"grades"`

	// RoundTo rounds the policy limit down to a multiple of this amount, >= 0.
	// Zero leaves it unrounded. Default 100.
	RoundTo float64 `json:"round_to" yaml:"round_to"`
}

// GradeRule is the part of the policy that depends on the grade.
type GradeRule struct {
	// Cap is the largest limit for the grade, >= 0.
	Cap float64 `json:"cap" yaml:"cap"`

	// AutoApproveUpTo is the largest limit approved without a credit analyst,
	// >= 0; a larger recommended limit is referred. Zero refers every request
	// that is not declined.
	AutoApproveUpTo float64 `json:"auto_approve_up_to" yaml:"auto_approve_up_to"`

	// Refer sends every request of the grade that is not declined to a credit
	// analyst, whatever its amount.
	Refer bool `json:"refer,omitempty" yaml:"refer,omitempty"`
}

// DefaultPolicy returns the policy Credence uses when configuration gives none:
// LGD 45%, 10% of net worth, 20% of working capital, an expected-loss budget of
// 5,000 per customer, a PD floor of 0.03%, limits rounded down to 100, and
// grade caps that halve roughly at each step down the master scale. Grades 8
// and 9 always go to a credit analyst.
func DefaultPolicy() Policy {
	return Policy{
		LGD:                 0.45,
		NetWorthShare:       0.10,
		WorkingCapitalShare: 0.20,
		ELBudget:            5000,
		PDFloor:             0.0003,
		RoundTo:             100,
		Grades: map[int]GradeRule{
			1: {Cap: 1_000_000, AutoApproveUpTo: 250_000},
			2: {Cap: 750_000, AutoApproveUpTo: 200_000},
			3: {Cap: 500_000, AutoApproveUpTo: 150_000},
			4: {Cap: 300_000, AutoApproveUpTo: 100_000},
			5: {Cap: 200_000, AutoApproveUpTo: 50_000},
			6: {Cap: 100_000, AutoApproveUpTo: 25_000},
			7: {Cap: 50_000, AutoApproveUpTo: 10_000},
			8: {Cap: 25_000, Refer: true},
			9: {Cap: 10_000, Refer: true},
		},
	}
}

// ErrInvalidPolicy is wrapped by every error that reports an invalid policy.
var ErrInvalidPolicy = errors.New("invalid limit policy")

// Validate reports every field of p that is out of range, as [FieldError]s
// wrapped with [ErrInvalidPolicy]; nil means p can be applied.
func (p Policy) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if !(p.LGD > 0 && p.LGD <= 1) {
		bad("lgd", "%v is outside (0, 1]", p.LGD)
	}
	if !(p.NetWorthShare > 0 && p.NetWorthShare <= 1) {
		bad("net_worth_share", "%v is outside (0, 1]", p.NetWorthShare)
	}
	if !(p.WorkingCapitalShare > 0 && p.WorkingCapitalShare <= 1) {
		bad("working_capital_share", "%v is outside (0, 1]", p.WorkingCapitalShare)
	}
	if !(p.ELBudget > 0) || math.IsInf(p.ELBudget, 0) {
		bad("el_budget", "%v is not a positive amount", p.ELBudget)
	}
	if !(p.PDFloor >= 0 && p.PDFloor < 1) {
		bad("pd_floor", "%v is outside [0, 1)", p.PDFloor)
	}
	if !(p.RoundTo >= 0) || math.IsInf(p.RoundTo, 0) {
		bad("round_to", "%v is not an amount >= 0", p.RoundTo)
	}
	for g := minGrade; g < DefaultGrade; g++ {
		rule, ok := p.Grades[g]
		if !ok {
			bad(fmt.Sprintf("grades[%d]", g), "missing: every grade %d..%d needs a rule", minGrade, DefaultGrade-1)
			continue
		}
		if !validAmount(rule.Cap) {
			bad(fmt.Sprintf("grades[%d].cap", g), "%v is not an amount >= 0", rule.Cap)
		}
		if !validAmount(rule.AutoApproveUpTo) {
			bad(fmt.Sprintf("grades[%d].auto_approve_up_to", g), "%v is not an amount >= 0", rule.AutoApproveUpTo)
		}
	}
	extra := make([]int, 0, len(p.Grades))
	for g := range p.Grades {
		if g < minGrade || g >= DefaultGrade {
			extra = append(extra, g)
		}
	}
	slices.Sort(extra)
	for _, g := range extra {
		if g == DefaultGrade {
			bad(fmt.Sprintf("grades[%d]", g), "the default grade always gets a zero limit and takes no rule")
		} else {
			bad(fmt.Sprintf("grades[%d]", g), "not a grade of the master scale %d..%d", minGrade, DefaultGrade)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidPolicy, errors.Join(errs...))
	}
	return nil
}

// validAmount reports whether x is a finite amount >= 0.
func validAmount(x float64) bool { return x >= 0 && !math.IsInf(x, 0) }

// FieldError names one invalid field of a [Request] or a [Policy] and says
// what is wrong with it.
type FieldError struct {
	Field  string // snake_case name, as in configuration and the gRPC API
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }
