package limit_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/credence-risk/credence/serve/limit"
)

func ExamplePolicy_Decide() {
	res, err := limit.DefaultPolicy().Decide(limit.Request{
		CustomerID:              "C-0042",
		PD:                      0.012,
		Grade:                   4,
		RequestedAmount:         60_000,
		PaymentTermsDays:        30,
		ExpectedDaysBeyondTerms: 12,
		ExpectedMonthlySales:    25_000,
		UnbilledOrders:          math.NaN(),
		NetWorth:                900_000,
		WorkingCapital:          math.NaN(), // unknown
		ExternalLimit:           math.NaN(), // none
		CurrentLimit:            math.NaN(),
		AsOf:                    time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Decision, res.RecommendedLimit, res.BindingConstraint)
	fmt.Println(res.Rationale)
	// Output:
	// approve_in_part 35000 need
	// Approved 35,000 of the 60,000 requested (expected loss 189): grade 4 (PD 1.2%) allows no more, limited by the credit need of 35,000 (peak monthly sales 25,000 × (30 days of terms + 12 days beyond terms) / 30).
}

func BenchmarkDecide(b *testing.B) {
	p := limit.DefaultPolicy()
	r := limit.Request{
		PD: 0.012, Grade: 4, RequestedAmount: 60_000, PaymentTermsDays: 30,
		ExpectedDaysBeyondTerms: 12, ExpectedMonthlySales: 25_000, UnbilledOrders: math.NaN(),
		NetWorth: 900_000, WorkingCapital: 300_000, ExternalLimit: 80_000, CurrentLimit: math.NaN(),
		AsOf: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Decide(r); err != nil {
			b.Fatal(err)
		}
	}
}
