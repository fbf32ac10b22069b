package features

import (
	"math/rand/v2"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

// benchHistory is a realistic trade customer: two invoices a month over two
// years on 30-day terms, most paid within a few weeks of the due date, some
// late, a few still open, and twelve monthly statements.
func benchHistory() *datasets.History {
	h := &datasets.History{
		CustomerID: "c",
		Customer:   &datasets.Customer{Numeric: []float64{1.2e6, 50_000}, Categorical: []string{"wholesale", "DE"}},
	}
	start := ymd(2022, 7, 1)
	for i := range 48 {
		issue := start + datasets.Date(i*15)
		inv := datasets.Invoice{
			CustomerID: "c",
			IssueDate:  issue,
			DueDate:    issue + 30,
			Amount:     amt(float64(1000 + 37*i)),
			PaidDate:   issue + 30 + datasets.Date((i*7)%45-10),
			PaidAmount: datasets.NoAmount,
			Disputed:   i%17 == 0,
		}
		if i%11 == 0 || i > 44 {
			inv.PaidDate = datasets.NoDate
		}
		h.Invoices = append(h.Invoices, inv)
	}
	for m := range 12 {
		h.Statements = append(h.Statements, datasets.Statement{
			CustomerID:  "c",
			PeriodEnd:   ymd(2023, 7, 31).AddMonths(m).MonthEnd(),
			DaysPastDue: int32(15 * (m % 3)),
			Status:      "0",
			Balance:     amt(float64(20_000 + 500*m)),
			CreditLimit: amt(50_000),
			Payment:     amt(float64(10_000 + 100*m)),
		})
	}
	return h
}

func BenchmarkBuild(b *testing.B) {
	s := mustSet(b, DefaultConfig(), testSchema, levelsOf(benchHistory()))
	h := benchHistory()
	asOf := ymd(2024, 7, 1)
	dst := make([]float64, 0, s.Len())
	b.ReportAllocs()
	for b.Loop() {
		dst = s.Build(h, asOf, dst)
	}
}

// BenchmarkBuildLongStatements scores a card account with five years of
// monthly statements, the shape of the credit card approval data.
func BenchmarkBuildLongStatements(b *testing.B) {
	s := mustSet(b, Config{SkipInvoices: true}, testSchema, nil)
	h := &datasets.History{}
	for m := range 60 {
		h.Statements = append(h.Statements, datasets.Statement{
			PeriodEnd:   ymd(2019, 1, 31).AddMonths(m).MonthEnd(),
			DaysPastDue: int32(30 * (m % 4 / 3)),
			Status:      []string{"C", "X", "0", "1"}[m%4],
			Balance:     datasets.NoAmount,
			CreditLimit: datasets.NoAmount,
			Payment:     datasets.NoAmount,
		})
	}
	asOf := ymd(2024, 1, 1)
	dst := make([]float64, 0, s.Len())
	b.ReportAllocs()
	for b.Loop() {
		dst = s.Build(h, asOf, dst)
	}
}

// BenchmarkPortfolioAdd measures the first pass's work per customer at one
// context date, beyond reading the book.
func BenchmarkPortfolioAdd(b *testing.B) {
	hs := randomBook(rand.New(rand.NewPCG(1, 2)), 1000)
	s := mustSet(b, portfolioConfig(), testSchema, nil)
	a := s.NewPortfolioAcc(DefaultRule{DPDThreshold: 90}, genStart.AddMonths(18))
	i := 0
	for b.Loop() {
		a.Add(hs[i%len(hs)])
		i++
	}
}
