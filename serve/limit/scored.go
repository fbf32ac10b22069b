package limit

import (
	"math"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/scoring"
)

// RequestFor is the limit request of a scored customer: its PD and grade,
// and what its history says of terms, sales, lateness and finances
// (scoring.LimitInputs), asking what the policy allows. The server and
// batch rescoring both start from it; a caller that knows better (the
// amount asked for, agreed terms, expected sales) overrides those fields.
func RequestFor(customerID string, asOf datasets.Date, r scoring.Result, in scoring.LimitInputs) Request {
	return Request{
		CustomerID:              customerID,
		PD:                      r.PD,
		Grade:                   r.Grade,
		PaymentTermsDays:        in.PaymentTermsDays,
		ExpectedDaysBeyondTerms: in.ExpectedDaysBeyondTerms,
		ExpectedMonthlySales:    in.PeakMonthlySales,
		UnbilledOrders:          math.NaN(),
		NetWorth:                in.NetWorth,
		WorkingCapital:          in.WorkingCapital,
		ExternalLimit:           math.NaN(),
		CurrentLimit:            in.CurrentLimit,
		AsOf:                    asOf.Time(),
	}
}
