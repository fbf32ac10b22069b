// Package limit turns a customer's probability of default into a trade-credit
// limit and a decision on a limit request, following the practice of credit
// insurers and trade-credit departments: a limit is the amount that is safe to
// have outstanding with one customer at one time, and a request for it is
// approved in full, approved in part, declined or referred to a credit analyst.
//
// The package is pure: no I/O, no clock, no package state. The as-of date comes
// with the request, and the same [Policy] and [Request] always give the same
// [Result]. Policy has YAML and JSON tags so that a server can load it from its
// configuration file; [DefaultPolicy] documents the defaults and
// [Policy.Validate] rejects a policy that could not be applied.
//
// # Constraints
//
// [Policy.Decide] evaluates these constraints, each an upper bound on the limit
// in the book's currency. A constraint whose inputs are unknown does not apply
// and is reported with a NaN amount.
//
//   - need: the largest amount the customer is expected to have outstanding,
//     ExpectedMonthlySales × (PaymentTermsDays + ExpectedDaysBeyondTerms) / 30,
//     plus UnbilledOrders. ExpectedMonthlySales is the peak month's sales;
//     days beyond terms below zero (customers who pay early) count as zero,
//     because a customer may use its full terms at any time. The constraint
//     applies only when ExpectedMonthlySales is known (positive).
//   - financial_capacity: the lower of NetWorthShare × NetWorth (default 10%)
//     and WorkingCapitalShare × WorkingCapital (default 20%). When only one of
//     the two figures is known it alone sets the capacity; when neither is
//     known the constraint does not apply. A negative net worth or working
//     capital gives a capacity of zero.
//   - expected_loss_budget: the limit at which the expected loss reaches the
//     per-customer budget, ELBudget / (PD × LGD). The PD used here and for the
//     expected loss is max(PD, PDFloor); with a floor of zero and a PD of zero
//     the constraint does not apply.
//   - external_limit: the external or insured limit, when there is one. Zero
//     means the insurer refused cover and caps the limit at zero.
//   - grade_cap: the Cap of the customer's grade on the master scale.
//   - temporary_limit: a seasonal or temporary limit (see below).
//   - requested: the requested amount, when one is given.
//
// # The limit
//
// The policy limit ([Result.PolicyLimit]) is the smallest applicable
// constraint other than the request, rounded down to a multiple of RoundTo.
// The recommended limit ([Result.RecommendedLimit]) is the lower of the
// policy limit and the requested amount: Credence never recommends more than
// was asked for. A requested amount of zero asks what the policy allows, and
// the recommended limit is then the policy limit. The binding constraint is
// the one with the smallest amount (before rounding); a tie goes to the
// constraint listed first above, so a request equal to the policy limit is
// bound by the policy constraint.
//
// The expected loss is PD × LGD × EAD with the exposure at default taken as
// the recommended limit, that is the whole limit drawn at the time of default
// (a credit conversion factor of 100%, the prudent reading for trade credit,
// where the limit is normally in use).
//
// # The decision
//
// In this order:
//
//  1. Grade 10, the default grade: the limit is zero and the request is
//     declined, whatever the other constraints say; the binding constraint is
//     default_grade.
//  2. A recommended limit of zero: declined.
//  3. A grade whose rule says Refer (by default the weak grades 8 and 9):
//     referred to a credit analyst, with the recommended limit as the proposal.
//  4. A recommended limit above the grade's AutoApproveUpTo tier: referred.
//  5. A recommended limit equal to the requested amount (or no amount
//     requested): approved.
//  6. Otherwise, 0 < recommended limit < requested amount within the tier:
//     approved in part, for the recommended limit.
//
// So a decline happens exactly when the recommended limit is zero.
//
// # Temporary limits
//
// A [TemporaryLimit] is in force through its expiry date: while the as-of date
// is on or before Expires (both compared as calendar dates) its Amount replaces
// the grade cap as the ceiling, and grade_cap is reported as not applicable.
// The amount may be above the grade cap (a seasonal increase) or below it (a
// temporary reduction). It replaces the grade cap and nothing else: the need,
// financial capacity, expected-loss budget, external limit, automatic approval
// tier, refer grades and the default grade all still apply. From the day after
// Expires the limit reverts to the permanent policy without any action, and
// the rationale says that the temporary limit has expired.
//
// # Invalid input
//
// Decide returns an error wrapping [ErrInvalidRequest] and a [FieldError] for
// each invalid field of the request (a negative amount, a PD outside [0, 1], a
// grade outside 1..10, ...), and one wrapping [ErrInvalidPolicy] when the
// policy fails [Policy.Validate]. Field names are the snake_case names of the
// configuration and of the gRPC API.
package limit
