package features_test

import (
	"fmt"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
)

func ExampleSet_Build() {
	schema := datasets.CustomerSchema{Categorical: []string{"industry"}}
	levels := features.NewLevelCounter(schema)
	levels.Add(&datasets.Customer{Categorical: []string{"retail"}})
	set, err := features.NewSet(features.DefaultConfig(), schema, levels)
	if err != nil {
		panic(err)
	}

	d := func(y int, m time.Month, day int) datasets.Date { return datasets.YMD(y, m, day) }
	h := &datasets.History{
		Customer: &datasets.Customer{Categorical: []string{"retail"}},
		Invoices: []datasets.Invoice{
			// Paid ten days late.
			{IssueDate: d(2024, 3, 1), DueDate: d(2024, 3, 31), Amount: 1000 * datasets.AmountScale, PaidDate: d(2024, 4, 10), PaidAmount: datasets.NoAmount},
			// Open, 31 days past due as of July 1st.
			{IssueDate: d(2024, 5, 1), DueDate: d(2024, 5, 31), Amount: 500 * datasets.AmountScale, PaidDate: datasets.NoDate, PaidAmount: datasets.NoAmount},
		},
	}
	v := set.Build(h, d(2024, 7, 1), make([]float64, 0, set.Len()))
	for _, name := range []string{"inv_count_6m", "inv_dbt_wavg_6m", "inv_paydex_6m", "inv_balance_31_60", "st_count", "cust_industry=retail"} {
		fmt.Printf("%-22s %g\n", name, v[set.Index(name)])
	}
	// Output:
	// inv_count_6m           2
	// inv_dbt_wavg_6m        10
	// inv_paydex_6m          73.33333333333333
	// inv_balance_31_60      500
	// st_count               NaN
	// cust_industry=retail   1
}

func ExampleParseHorizon() {
	for _, s := range []string{"12mo", "6m", "90d", "1y", "12"} {
		h, err := features.ParseHorizon(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		asOf := datasets.YMD(2024, time.January, 31)
		fmt.Printf("%s: window (%s, %s]\n", h, asOf, h.After(asOf))
	}
	// Output:
	// 12mo: window (2024-01-31, 2025-01-31]
	// 6mo: window (2024-01-31, 2024-07-31]
	// 90d: window (2024-01-31, 2024-04-30]
	// 1y: window (2024-01-31, 2025-01-31]
	// horizon "12": missing unit (d, w, mo or m, y)
}

func ExampleLabel() {
	asOf := datasets.YMD(2024, time.January, 1)
	observedUntil := datasets.YMD(2024, time.September, 30)
	h := features.DefaultHorizon()
	for _, def := range []datasets.Date{
		datasets.YMD(2023, time.December, 1), // before as_of
		datasets.YMD(2024, time.June, 1),     // in the window, observed
		datasets.NoDate,                      // none, but the window ends after observed_until
	} {
		y, status := features.Label(def, asOf, h, observedUntil)
		fmt.Println(y, status)
	}
	// Output:
	// 0 already defaulted
	// 1 labelled
	// 0 censored
}
