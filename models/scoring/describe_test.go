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
	}
	for _, c := range cases {
		if got := Describe(c.feature, c.value); got != c.want {
			t.Errorf("Describe(%s, %v): got %q; want %q", c.feature, c.value, got, c.want)
		}
	}
}
