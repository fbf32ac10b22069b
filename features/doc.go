// Package features turns one customer's history into the point-in-time
// feature vector that every Credence model scores, and defines the labels
// those models learn.
//
// The package is pure: Build is a function of (datasets.History, as_of) and
// a fitted Set, with no I/O, no clock and no shared state, so training,
// online scoring and batch rescoring compute each feature with the same
// code. Build allocates nothing when given a large enough dst, and takes a
// few microseconds for a customer with a few dozen invoices.
//
// # Time
//
// As of a date, Build uses only what was known before it (the book format's
// "Time" rule): invoices issued before as_of; a payment only if its
// paid_date is before as_of, so that an item paid later is open at as_of and
// aged to it; statements whose period_end is before as_of; and the
// customer's attributes, which the book takes as known at every date. An
// open item's paid_amount (a partial payment "to date") carries no date, so
// it is never used: the item is open for its full amount. The disputed flag
// carries no date either and is taken as known from the issue date. A
// paid item settled short (paid_amount < amount) stays owed for the rest,
// which ages from its due date.
//
// # Missing values
//
// NaN means "cannot be known"; 0 means "none happened while we were
// watching". A customer with no invoice issued before as_of gets NaN for
// every invoice feature, counts included: a ledger without them cannot say
// that nothing was invoiced. Once a customer has an invoice before as_of,
// counts and amounts are exact, zero included, and averages, shares and
// ratios over an empty set of items are NaN. The same holds for statements:
// without a statement before as_of every statement feature is NaN, the
// status columns included.
// A customer with no customers row has cust_missing = 1, NaN numeric
// attributes and zeros in every one-hot column; a missing categorical value
// is zero in every column of its attribute, "other" included. Ratios with a
// zero denominator are NaN and ratios are bounded (utilisation and payment
// ratios to ±100, DSO to 3650 days), so that every value is finite or NaN.
//
// # Invoice features
//
// Per window of m months (InvoiceWindows, default 3, 6, 12, 24), over
// [as_of − m months, as_of), with suffix _<m>m. Counts, amounts and the
// dispute share are of the items issued in the window; the rest are of the
// items paid in the window. Days beyond terms (dbt) is paid_date − due_date,
// negative when paid early.
//
//	inv_count          items issued
//	inv_amount         amount issued
//	inv_paid_count     items paid
//	inv_dbt_wavg       amount-weighted mean dbt of the items paid
//	inv_dbt_max        largest dbt of the items paid
//	inv_late_share     share of the items paid with dbt > 0
//	inv_late30_share   share of the items paid with dbt > 30
//	inv_paydex         amount-weighted mean Paydex(dbt) (D&B's scale, 20–100)
//	inv_partial_share  share of the items paid that were settled short
//	inv_dispute_share  share of the items issued that are disputed
//
// Once, as of the date:
//
//	inv_history_months     months since the first invoice
//	inv_open_count         items open (owed in full or in part)
//	inv_open_balance       amount open
//	inv_balance_current    amount open not yet past due
//	inv_balance_1_30       amount open 1–30 days past due
//	inv_balance_31_60      amount open 31–60 days past due
//	inv_balance_61_90      amount open 61–90 days past due
//	inv_balance_90p        amount open more than 90 days past due
//	inv_overdue_balance    amount open past due
//	inv_overdue_share      overdue / open balance
//	inv_max_dpd            days past due of the oldest open item (0 if none is
//	                       past due, NaN if none is open)
//	inv_months_since_late  months since the last payment with dbt > 0
//	inv_dbt_trend          inv_dbt_wavg of the items paid in the last 3 months
//	                       minus that of the 9 months before: the early warning
//	inv_dso                days sales outstanding: open balance / amount issued in
//	                       the last 3 months × the days in those 3 months
//	inv_growth_3m          (a − b) / (a + b) for the amounts issued in the last
//	                       3 months (a) and the 3 before (b): −1 stopped buying,
//	                       +1 new
//
// Days past due at as_of is as_of − due_date: an item due on as_of is
// current. Months are days / 30.4375.
//
// # Statement features
//
// The latest statement before as_of:
//
//	st_count                  statements before as_of
//	st_months_since_latest    months since its period end
//	st_dpd                    its days past due
//	st_status_num             its status code, when the code is a number
//	st_status=<code>          1 for its status code, for the codes of the
//	                          training book that are not numbers
//	st_status=other           1 for any other code that is not a number
//	st_balance, st_payment, st_credit_limit  as stated
//	st_utilisation            balance / credit limit
//	st_util_trend             utilisation minus the mean of the 3 before it
//	st_pay_ratio              payment / the balance of the statement before
//	st_pay_ratio_mean3        mean of the last 3 such ratios
//	st_months_since_delinquent months since the last statement with dpd > 0
//
// Per window of the n latest statements (StatementWindows, default 3, 6,
// 12), with suffix _<n>p: st_dpd_max, st_dpd_mean (over statements whose
// dpd is known), st_delinquent (statements with dpd > 0),
// st_status_num_mean, st_util_mean, st_balance_mean and st_payment_mean.
// Over the largest window, the statements by days past due: st_n_current
// (0), st_n_dpd1_29, st_n_dpd30_59, st_n_dpd60_89, st_n_dpd90p and
// st_n_dpd_unknown.
//
// # Customer features
//
// cust_missing is 1 without a customers row. Each numeric attribute is
// cust_<name>, as it is (NaN when missing). Each categorical attribute is
// one-hot encoded as cust_<name>=<level> over the levels that NewSet kept
// (at least MinLevelShare of the customers, at most MaxLevels), plus
// cust_<name>=other for the rest.
//
// # Portfolio features
//
// With Config.Portfolio set (credence train --portfolio), a last block
// places the customer among the other customers of its book. The context
// of as_of is computed from the whole book at PortfolioDate(as_of), the
// first day of its month, from facts dated before that day only (so before
// as_of): one context per month serves the server, batch rescoring,
// back-tests and training alike, and the live store computes it once the
// data date has entered the month. The groups are the whole book ("book")
// and the values of each grouping attribute (PortfolioConfig.GroupBy;
// default industry, country and segment where the customers table has
// them, none otherwise: a book without them gets the book-wide figures
// only). For each group g:
//
//	port_<g>_default_rate_12m      customers whose first default (under the
//	                               model's rule) falls in the 12 months before
//	                               the context date, over those seen before the
//	                               date (an invoice issued, a statement ended or
//	                               a default) and not in default before the 12
//	                               months
//	port_<g>_dbt_median_1m         median days beyond terms of the items paid
//	                               in the month before the context date, each
//	                               item once (exact, from a histogram of whole
//	                               days bounded to [−365, 730])
//	port_<g>_dbt_median_change_3m  that median minus the same figure three
//	                               months earlier
//	port_<g>_dbt_gap               the customer's inv_dbt_wavg_3m minus the
//	                               group's median: its position against them
//
// and, after the groups, the trends the invoice block lacks:
//
//	inv_overdue_growth_3m  (a − b) / (a + b) for the overdue balance at as_of
//	                       (a) and at as_of − 3 months (b)
//	inv_limit_use          open balance / the current_limit attribute, when
//	                       the customers table has it (bounded like ratios)
//
// DBT 3 months against 12 is inv_dbt_trend and statement limit use is
// st_utilisation, above. A book without invoices gets only the default
// rates. A group's figures are shrunk towards the book's with a prior of
// PortfolioConfig.Prior customers (default 50): rate (d + k·p_book) / (n +
// k) over n customers at risk, medians weighted by the customers with an
// item paid in the month, so that a small group says little of its own; a
// customer without a value, or whose group had nobody seen, gets the
// book's figures. The customer itself counts in its groups like any other:
// every fact used is dated before the context date, so its own later
// default never enters. Without a context (Build rather than BuildIn) the
// context columns are NaN.
//
// # Labels
//
// DefaultDate and DerivedDefaultDate give a customer's first default, Label
// the label of an observation (1 if the first default falls in
// (as_of, as_of+horizon]), and Plan and ObservationDates the as-of dates of
// a book without an observations table.
package features
