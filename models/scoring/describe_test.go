package scoring

import (
	"math"
	"testing"
)

func TestDescribe(t *testing.T) {
	cases := []struct {
		feature string
		value   float64
		want    string
	}{
		{"inv_dbt_wavg_12m", 38.4, "paid 38 days beyond terms on average over 12 months"},
		{"inv_dbt_wavg_3m", -4, "paid 4 days early on average over 3 months"},
		{"inv_paid_count_3m", 1, "1 invoice paid over 3 months"},
		{"inv_count_12m", 14, "14 invoices issued over 12 months"},
		{"inv_late_share_6m", 0.25, "25% of invoices paid late over 6 months"},
		{"inv_balance_90p", 12345.6, "12,346 open more than 90 days past due"},
		{"inv_balance_31_60", 800, "800 open 31–60 days past due"},
		{"st_dpd_max_6p", 45, "up to 45 days past due over the last 6 statements"},
		{"st_n_dpd30_59", 2, "2 statements 30–59 days past due"},
		{"cust_industry=retail", 1, "industry is retail"},
		{"cust_net_worth", 250000, "net_worth 250000"},
		{"cust_missing", 1, "no customer record"},
		{"inv_count_3m", math.NaN(), "inv_count_3m unknown"},
		{"something_new", 2.5, "something_new = 2.5"},
		{"port_industry_default_rate_12m", 0.042, "4.2% of its industry's customers defaulted in the last 12 months"},
		{"port_book_dbt_median_1m", 6, "the book paid a median 6 days beyond terms last month"},
		{"port_country_dbt_median_change_3m", -3, "its country's median days beyond terms -3 over 3 months"},
		{"port_segment_dbt_gap", 12.4, "pays 12 days later than its segment's median"},
		{"port_book_dbt_gap", -5, "pays 5 days earlier than the book's median"},
		{"inv_overdue_growth_3m", 0.5, "overdue balance trend +0.50 over 3 months (−1: cleared, +1: newly overdue)"},
		{"inv_limit_use", 0.8, "80% of the credit limit owed"},
	}
	for _, c := range cases {
		if got := Describe(c.feature, c.value); got != c.want {
			t.Errorf("Describe(%s, %v): got %q; want %q", c.feature, c.value, got, c.want)
		}
	}
}
