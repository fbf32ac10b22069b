package scoring

import (
	"math"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

func TestLimitInputs(t *testing.T) {
	// The customers table has the three figures in this order; the
	// vector's first value stands for inv_dbt_wavg_12m.
	sc := &Scorer{dbt: 0, netWorth: 0, workingCapital: 1, currentLimit: 2}
	asOf := datasets.YMD(2024, 7, 1)
	inv := func(issue datasets.Date, terms int, amount float64) datasets.Invoice {
		a, _ := datasets.AmountFromFloat(amount)
		return datasets.Invoice{IssueDate: issue, DueDate: issue + datasets.Date(terms), Amount: a, PaidDate: datasets.NoDate, PaidAmount: datasets.NoAmount}
	}
	nan := math.NaN()
	tests := []struct {
		name            string
		h               datasets.History
		dbt             float64
		terms           int
		sales           float64
		nw, wc, current float64
	}{
		{name: "no invoices, no attributes", dbt: nan, terms: DefaultTermsDays, sales: nan, nw: nan, wc: nan, current: nan},
		{
			name: "median terms, peak month of the last twelve",
			h: datasets.History{Invoices: []datasets.Invoice{
				inv(datasets.YMD(2023, 6, 15), 90, 99999), // before the twelve months: terms only
				inv(datasets.YMD(2023, 7, 1), 60, 100),    // first day of the first month
				inv(datasets.YMD(2024, 3, 2), 30, 400),
				inv(datasets.YMD(2024, 3, 20), 30, 250),
				inv(datasets.YMD(2024, 6, 30), 30, 500), // last day before as_of
				inv(datasets.YMD(2024, 7, 1), 10, 1e6),  // on as_of: not yet known
			}, Customer: &datasets.Customer{Numeric: []float64{1e6, 2e5, nan}}},
			dbt: 12.5, terms: 30, sales: 650, nw: 1e6, wc: 2e5, current: nan,
		},
		{
			name: "even count takes the lower middle term",
			h: datasets.History{Invoices: []datasets.Invoice{
				inv(datasets.YMD(2024, 1, 5), 60, 10), inv(datasets.YMD(2024, 2, 5), 45, 10),
				inv(datasets.YMD(2024, 3, 5), 30, 10), inv(datasets.YMD(2024, 4, 5), 90, 10),
			}, Customer: &datasets.Customer{Numeric: []float64{nan, 0, 5000}}},
			dbt: -3, terms: 45, sales: 10, nw: nan, wc: 0, current: 5000,
		},
		{
			name: "cash terms count as one day",
			h:    datasets.History{Invoices: []datasets.Invoice{inv(datasets.YMD(2024, 6, 1), 0, 70)}},
			dbt:  nan, terms: 1, sales: 70, nw: nan, wc: nan, current: nan,
		},
	}
	same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Result{PD: 0.02, Grade: 6, Features: []float64{tt.dbt}}
			in := sc.LimitInputs(&tt.h, asOf, r)
			wantDBT := tt.dbt
			if math.IsNaN(wantDBT) {
				wantDBT = 0
			}
			if in.PaymentTermsDays != tt.terms || !same(in.PeakMonthlySales, tt.sales) || in.ExpectedDaysBeyondTerms != wantDBT {
				t.Errorf("terms %d, sales %v, days beyond terms %v; want %d, %v, %v",
					in.PaymentTermsDays, in.PeakMonthlySales, in.ExpectedDaysBeyondTerms, tt.terms, tt.sales, wantDBT)
			}
			if !same(in.NetWorth, tt.nw) || !same(in.WorkingCapital, tt.wc) || !same(in.CurrentLimit, tt.current) {
				t.Errorf("net worth %v, working capital %v, current limit %v; want %v, %v, %v",
					in.NetWorth, in.WorkingCapital, in.CurrentLimit, tt.nw, tt.wc, tt.current)
			}
		})
	}
}

// BenchmarkLimitInputs gathers the inputs of a credit limit for one
// customer with two years of monthly invoices.
func BenchmarkLimitInputs(b *testing.B) {
	asOf := datasets.YMD(2025, 1, 1)
	h := &datasets.History{}
	for m := -24; m < 0; m++ {
		issue := asOf.AddMonths(m)
		h.Invoices = append(h.Invoices, datasets.Invoice{IssueDate: issue, DueDate: issue + 30, Amount: 100 * datasets.AmountScale, PaidDate: issue + 35})
	}
	sc := &Scorer{dbt: 0, netWorth: -1, workingCapital: -1, currentLimit: -1}
	r := Result{Features: []float64{5}}
	b.ReportAllocs()
	for b.Loop() {
		sc.LimitInputs(h, asOf, r)
	}
}
