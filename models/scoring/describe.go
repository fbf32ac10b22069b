package scoring

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/credence-risk/credence/models/numfmt"
)

// Describe puts a reason in words for a credit analyst, from the feature's
// name (see package features for their definitions) and value.
func Describe(feature string, x float64) string {
	if math.IsNaN(x) {
		return feature + " unknown"
	}
	if s, ok := phrase(feature, "", x); ok {
		return s
	}
	name, window := splitWindow(feature)
	over := ""
	switch {
	case strings.HasSuffix(window, "m"):
		over = " over " + strings.TrimSuffix(window, "m") + " months"
	case strings.HasSuffix(window, "p"):
		over = " over the last " + strings.TrimSuffix(window, "p") + " statements"
	}
	if s, ok := phrase(name, over, x); ok && window != "" {
		return s
	}
	return fmt.Sprintf("%s = %s", feature, strconv.FormatFloat(x, 'g', 6, 64))
}

// phrase describes the feature name (without its window, which over puts
// in words) at value x; false when it does not know the name.
func phrase(name, over string, x float64) (string, bool) {
	pct := func(s float64) string { return strconv.FormatFloat(100*s, 'f', 0, 64) + "%" }
	days := func(d float64) string {
		if d < 0 {
			return fmt.Sprintf("%.0f days early", -d)
		}
		return fmt.Sprintf("%.0f days beyond terms", d)
	}
	s := func(format string, args ...any) (string, bool) { return fmt.Sprintf(format, args...), true }
	switch name {
	case "inv_count":
		return s("%s issued%s", count(x, "invoice"), over)
	case "inv_amount":
		return s("invoiced %s%s", amount(x), over)
	case "inv_paid_count":
		return s("%s paid%s", count(x, "invoice"), over)
	case "inv_dbt_wavg":
		return s("paid %s on average%s", days(x), over)
	case "inv_dbt_max":
		return s("paid up to %s%s", days(x), over)
	case "inv_late_share":
		return s("%s of invoices paid late%s", pct(x), over)
	case "inv_late30_share":
		return s("%s of invoices paid more than 30 days late%s", pct(x), over)
	case "inv_paydex":
		return s("Paydex %.0f%s (80 = prompt, 50 = 30 days late)", x, over)
	case "inv_partial_share":
		return s("%s of invoices settled short%s", pct(x), over)
	case "inv_dispute_share":
		return s("%s of invoices disputed%s", pct(x), over)
	case "inv_history_months":
		return s("invoiced for %.0f months", x)
	case "inv_open_count":
		return s("%s open", count(x, "invoice"))
	case "inv_open_balance":
		return s("open balance of %s", amount(x))
	case "inv_balance_current":
		return s("%s open, not yet due", amount(x))
	case "inv_balance_1_30", "inv_balance_31_60", "inv_balance_61_90":
		r := strings.Split(strings.TrimPrefix(name, "inv_balance_"), "_")
		return s("%s open %s–%s days past due", amount(x), r[0], r[1])
	case "inv_balance_90p":
		return s("%s open more than 90 days past due", amount(x))
	case "inv_overdue_balance":
		return s("%s overdue", amount(x))
	case "inv_overdue_share":
		return s("%s of the open balance overdue", pct(x))
	case "inv_max_dpd":
		return s("oldest open invoice %.0f days past due", x)
	case "inv_months_since_late":
		return s("last late payment %.1f months ago", x)
	case "inv_dbt_trend":
		return s("days beyond terms %+.0f in the last 3 months against the 9 before", x)
	case "inv_dso":
		return s("days sales outstanding %.0f", x)
	case "inv_growth":
		return s("invoicing trend %+.2f (−1: stopped buying, +1: new)", x)
	case "st_count":
		return s("%s", count(x, "statement"))
	case "st_months_since_latest":
		return s("latest statement %.1f months old", x)
	case "st_dpd":
		return s("latest statement %.0f days past due", x)
	case "st_dpd_max":
		return s("up to %.0f days past due%s", x, over)
	case "st_dpd_mean":
		return s("%.0f days past due on average%s", x, over)
	case "st_delinquent":
		return s("%s delinquent%s", count(x, "statement"), over)
	case "st_utilisation":
		return s("%s of the credit limit used", pct(x))
	case "st_util_mean":
		return s("%s of the credit limit used on average%s", pct(x), over)
	case "st_util_trend":
		return s("utilisation %+.0f points against the 3 statements before", 100*x)
	case "st_pay_ratio", "st_pay_ratio_mean3":
		return s("paid %s of the previous balance", pct(x))
	case "st_months_since_delinquent":
		return s("last delinquent %.1f months ago", x)
	case "st_balance", "st_balance_mean":
		return s("statement balance %s%s", amount(x), over)
	case "st_n_dpd1_29", "st_n_dpd30_59", "st_n_dpd60_89", "st_n_dpd90p":
		r := strings.TrimPrefix(name, "st_n_dpd")
		r = strings.Replace(strings.Replace(r, "_", "–", 1), "p", "+", 1)
		return s("%s %s days past due", count(x, "statement"), r)
	case "cust_missing":
		return "no customer record", true
	case "inv_overdue_growth":
		return s("overdue balance trend %+.2f%s (−1: cleared, +1: newly overdue)", x, over)
	case "inv_limit_use":
		return s("%s of the credit limit owed", pct(x))
	}
	if rest, ok := strings.CutPrefix(name, "port_"); ok {
		return portfolioPhrase(rest, x)
	}
	if attr, level, ok := strings.Cut(strings.TrimPrefix(name, "cust_"), "="); ok && strings.HasPrefix(name, "cust_") {
		if x == 0 {
			return s("%s is not %s", attr, level)
		}
		return s("%s is %s", attr, level)
	}
	if attr, ok := strings.CutPrefix(name, "cust_"); ok {
		return s("%s %s", attr, strconv.FormatFloat(x, 'g', 6, 64))
	}
	if code, ok := strings.CutPrefix(name, "st_status="); ok && x != 0 {
		return s("latest statement status %s", code)
	}
	return "", false
}

// portfolioPhrase describes a feature of the portfolio block, named
// <group>_<figure> after port_ (the window cut off), at value x.
func portfolioPhrase(name string, x float64) (string, bool) {
	for _, f := range []string{"default_rate", "dbt_median", "dbt_median_change", "dbt_gap"} {
		group, ok := strings.CutSuffix(name, "_"+f)
		if !ok {
			continue
		}
		who := "its " + group
		if group == "book" {
			who = "the book"
		}
		switch f {
		case "default_rate":
			return fmt.Sprintf("%.1f%% of %s's customers defaulted in the last 12 months", 100*x, who), true
		case "dbt_median":
			return fmt.Sprintf("%s paid a median %.0f days beyond terms last month", who, x), true
		case "dbt_median_change":
			return fmt.Sprintf("%s's median days beyond terms %+.0f over 3 months", who, x), true
		case "dbt_gap":
			if x < 0 {
				return fmt.Sprintf("pays %.0f days earlier than %s's median", -x, who), true
			}
			return fmt.Sprintf("pays %.0f days later than %s's median", x, who), true
		}
	}
	return "", false
}

// count writes a count with its noun, "1 invoice" or "3 invoices".
func count(x float64, noun string) string {
	if x == 1 {
		return "1 " + noun
	}
	return strconv.FormatFloat(x, 'f', 0, 64) + " " + noun + "s"
}

// splitWindow splits a feature name into its base and its window suffix
// ("inv_dbt_wavg_12m" → "inv_dbt_wavg", "12m"; "st_dpd_max_3p" → "st_dpd_max",
// "3p"); a name without one comes back whole.
func splitWindow(name string) (string, string) {
	i := strings.LastIndexByte(name, '_')
	if i < 0 || strings.Contains(name, "=") {
		return name, ""
	}
	w := name[i+1:]
	if len(w) < 2 || (w[len(w)-1] != 'm' && w[len(w)-1] != 'p') {
		return name, ""
	}
	if _, err := strconv.Atoi(w[:len(w)-1]); err != nil {
		return name, ""
	}
	return name[:i], w
}

// amount formats a money amount with thousands separators and no
// decimals.
func amount(x float64) string { return numfmt.Grouped(x) }
