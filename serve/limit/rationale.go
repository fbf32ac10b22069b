package limit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/credence-risk/credence/models/numfmt"
)

// rationale explains res in one or two sentences, plus one for an expired
// temporary limit and one for a current limit above the policy limit.
// policyBind is the smallest policy constraint, which the rationale names even
// when the request itself is lower.
func (d decider) rationale(res Result, policyBind Constraint) string {
	r := d.r
	grade := fmt.Sprintf("grade %d (PD %s)", r.Grade, formatPercent(r.PD))
	limit := formatAmount(res.RecommendedLimit)
	requested := formatAmount(r.RequestedAmount)
	el := formatAmount(res.ExpectedLoss)
	rule := d.p.Grades[r.Grade]

	// allows says what the policy allows against the request.
	allows := func() string {
		switch {
		case r.RequestedAmount == 0:
			return fmt.Sprintf("the policy allows %s, limited by %s", limit, policyBind.Detail)
		case res.RecommendedLimit == r.RequestedAmount:
			return fmt.Sprintf("the %s requested is within the %s the policy allows, limited by %s",
				requested, formatAmount(res.PolicyLimit), policyBind.Detail)
		default:
			return fmt.Sprintf("the policy allows %s of the %s requested, limited by %s", limit, requested, policyBind.Detail)
		}
	}

	var s []string
	switch {
	case r.Grade == DefaultGrade:
		s = append(s, fmt.Sprintf("Declined: %s is the default grade, which gets no credit.", grade))
	case res.Decision == Decline:
		s = append(s, fmt.Sprintf("Declined: for %s the policy allows no credit, limited by %s.", grade, policyBind.Detail))
	case res.Decision == Refer && rule.Refer:
		s = append(s, fmt.Sprintf("Referred to a credit analyst because every request of %s is reviewed; %s (expected loss %s).",
			grade, allows(), el))
	case res.Decision == Refer:
		s = append(s, fmt.Sprintf("Referred to a credit analyst because %s is above the automatic approval tier of %s for %s; %s (expected loss %s).",
			limit, formatAmount(rule.AutoApproveUpTo), grade, allows(), el))
	case res.Decision == Approve && r.RequestedAmount == 0:
		s = append(s, fmt.Sprintf("Approved a limit of %s (expected loss %s): %s, limited by %s.", limit, el, grade, policyBind.Detail))
	case res.Decision == Approve:
		s = append(s, fmt.Sprintf("Approved %s as requested (expected loss %s): %s allows up to %s, limited by %s.",
			limit, el, grade, formatAmount(res.PolicyLimit), policyBind.Detail))
	default:
		s = append(s, fmt.Sprintf("Approved %s of the %s requested (expected loss %s): %s allows no more, limited by %s.",
			limit, requested, el, grade, policyBind.Detail))
	}
	if t := r.Temporary; t != nil && !d.temporaryInForce() {
		s = append(s, fmt.Sprintf("The temporary limit of %s expired on %s, so the permanent policy applies again.",
			formatAmount(t.Amount), formatDate(t.Expires)))
	}
	if r.CurrentLimit > res.PolicyLimit {
		s = append(s, fmt.Sprintf("The current limit of %s is above the %s the policy allows and should be reduced with notice.",
			formatAmount(r.CurrentLimit), formatAmount(res.PolicyLimit)))
	}
	return strings.Join(s, " ")
}

// formatAmount writes x as numfmt.Amount does, and the non-finite amounts a
// limit can carry in words.
func formatAmount(x float64) string {
	switch {
	case math.IsNaN(x):
		return "unknown"
	case math.IsInf(x, 0):
		return "unlimited"
	}
	return numfmt.Amount(x)
}

// formatPercent writes a share with three significant digits: 0.012 → "1.2%".
func formatPercent(x float64) string {
	v := x * 100
	if v != 0 && math.Abs(v) < 0.001 {
		return strconv.FormatFloat(v, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + "%"
}

// formatNumber writes a number of days to one decimal, without needless
// digits: 12.5, 15.
func formatNumber(x float64) string { return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64) }

func formatDate(t time.Time) string { return t.Format(time.DateOnly) }
