package features

import (
	"math"

	"github.com/credence-risk/credence/datasets"
)

const (
	// daysPerMonth converts day counts to months (an average Gregorian month).
	daysPerMonth = 365.25 / 12
	// maxRatio bounds ratios whose denominator can be tiny (utilisation,
	// payment to balance): a balance of one cent says nothing a ratio of a
	// hundred does not.
	maxRatio = 100
	// maxDSO bounds days sales outstanding at ten years.
	maxDSO = 3650
	// maxStatusDigits bounds the digits of a numeric status code, so that
	// it and its sums stay finite.
	maxStatusDigits = 15
)

// Build appends the features of h as of asOf to dst[:0] and returns it.
// Only facts known before asOf are used: invoices issued before asOf,
// payments dated before asOf, statements whose period ended before asOf,
// and the customer's attributes. With cap(dst) >= s.Len() it allocates
// nothing. A nil h is a customer with no history and no customers row.
//
// Build trusts a book that passed the reader's checks. Out-of-contract
// values (a non-positive amount, a missing date) never yield an infinite or
// negative count, balance or share, but their features mean little.
//
// A set with the portfolio block (HasPortfolio) gets NaN for its context
// columns from Build: scoring and training use BuildIn with the context.
func (s *Set) Build(h *datasets.History, asOf datasets.Date, dst []float64) []float64 {
	return s.BuildIn(h, asOf, nil, dst)
}

// BuildIn is Build with the portfolio context p of the book h belongs to,
// dated PortfolioDate(asOf) (it panics on a context of another date). A set
// without the portfolio block ignores p.
func (s *Set) BuildIn(h *datasets.History, asOf datasets.Date, p *Portfolio, dst []float64) []float64 {
	v := dst[:0]
	if cap(v) < len(s.names) {
		v = make([]float64, 0, len(s.names))
	}
	var empty datasets.History
	if h == nil {
		h = &empty
	}
	if !s.Config.SkipInvoices {
		v = s.appendInvoices(v, h.Invoices, asOf)
	}
	if !s.Config.SkipStatements {
		v = s.appendStatements(v, h.Statements, asOf)
	}
	v = s.appendCustomer(v, h.Customer)
	return s.appendPortfolio(v, h, asOf, p)
}

// invWindow accumulates the invoice features of one window. Items issued in
// the window make the counts, amounts and dispute share; items paid in the
// window (before as_of) make the payment behaviour.
type invWindow struct {
	start           datasets.Date
	count, disputed int
	amount          datasets.Amount
	paid            int
	late, late30    int
	partial         int
	weight          float64 // amount of the items paid, the weight of the averages
	dbtSum          float64 // Σ amount × days beyond terms
	paydexSum       float64 // Σ amount × Paydex(days beyond terms)
	dbtMax          int64
}

// weighted is an amount-weighted mean of days beyond terms.
type weighted struct{ weight, sum float64 }

func (w *weighted) add(weight float64, x int64) {
	w.weight += weight
	w.sum += weight * float64(x)
}

func (w *weighted) value() float64 { return wavg(w.sum, w.weight) }

func (s *Set) appendInvoices(v []float64, invs []datasets.Invoice, asOf datasets.Date) []float64 {
	windows := s.Config.InvoiceWindows
	var win [MaxWindows]invWindow
	for w, m := range windows {
		win[w].start = addMonths(asOf, -m)
	}
	start3, start6, start12 := addMonths(asOf, -3), addMonths(asOf, -6), addMonths(asOf, -12)
	var (
		known                bool
		first                = asOf
		issued3, issuedPrev3 datasets.Amount // issued in the last 3 months and the 3 before
		recent, prior        weighted        // paid in the last 3 months and the 9 before
		lastLate             = datasets.NoDate
		balance              [5]datasets.Amount // by ageing bucket
		openCount            int
		maxDPD               int64
	)
	for i := range invs {
		inv := &invs[i]
		issue := inv.IssueDate
		if issue == datasets.NoDate || issue >= asOf {
			continue
		}
		known = true
		first = min(first, issue)
		amount := max(inv.Amount, 0)
		due := inv.DueDate
		if due == datasets.NoDate {
			due = issue
		}
		for w := range windows {
			if ww := &win[w]; issue >= ww.start {
				ww.count++
				ww.amount = addAmount(ww.amount, amount)
				if inv.Disputed {
					ww.disputed++
				}
			}
		}
		switch {
		case issue >= start3:
			issued3 = addAmount(issued3, amount)
		case issue >= start6:
			issuedPrev3 = addAmount(issuedPrev3, amount)
		}
		open := amount
		if paid := inv.PaidDate; paid != datasets.NoDate && paid < asOf {
			// Settled before asOf. What was not paid stays owed and ages.
			settled := min(max(inv.Settled(), 0), amount)
			open = amount - settled
			dbt := int64(paid) - int64(due)
			weight := amount.Float()
			score := Paydex(float64(dbt))
			for w := range windows {
				ww := &win[w]
				if paid < ww.start {
					continue
				}
				if ww.paid == 0 || dbt > ww.dbtMax {
					ww.dbtMax = dbt
				}
				ww.paid++
				ww.weight += weight
				ww.dbtSum += weight * float64(dbt)
				ww.paydexSum += weight * score
				if dbt > 0 {
					ww.late++
				}
				if dbt > 30 {
					ww.late30++
				}
				if settled < amount {
					ww.partial++
				}
			}
			switch {
			case paid >= start3:
				recent.add(weight, dbt)
			case paid >= start12:
				prior.add(weight, dbt)
			}
			if dbt > 0 {
				lastLate = max(lastLate, paid)
			}
		}
		if open > 0 {
			// Open at asOf (unpaid, paid on or after asOf, or short-paid):
			// aged to asOf.
			dpd := int64(asOf) - int64(due)
			b := ageBucket(dpd)
			balance[b] = addAmount(balance[b], open)
			maxDPD = max(maxDPD, dpd)
			openCount++
		}
	}
	if !known {
		// Not in the ledger before asOf: nothing can be said, not even that
		// nothing was invoiced.
		return appendNaN(v, len(windows)*len(invWindowColumns)+len(invColumns))
	}
	for w := range windows {
		ww := &win[w]
		dbtMax := math.NaN()
		if ww.paid > 0 {
			dbtMax = float64(ww.dbtMax)
		}
		v = append(v,
			float64(ww.count),
			ww.amount.Float(),
			float64(ww.paid),
			wavg(ww.dbtSum, ww.weight),
			dbtMax,
			share(ww.late, ww.paid),
			share(ww.late30, ww.paid),
			wavg(ww.paydexSum, ww.weight),
			share(ww.partial, ww.paid),
			share(ww.disputed, ww.count),
		)
	}
	overdue := addAmount(addAmount(balance[1], balance[2]), addAmount(balance[3], balance[4]))
	open := addAmount(balance[0], overdue)
	overdueShare, oldest := math.NaN(), math.NaN()
	if openCount > 0 {
		oldest = float64(max(maxDPD, 0))
	}
	if open > 0 {
		overdueShare = overdue.Float() / open.Float()
	}
	dso := math.NaN()
	if issued3 > 0 {
		days := float64(int64(asOf) - int64(start3))
		dso = min(open.Float()/issued3.Float()*days, maxDSO)
	}
	growth := math.NaN()
	if a, b := issued3.Float(), issuedPrev3.Float(); a+b > 0 {
		growth = (a - b) / (a + b)
	}
	return append(v,
		months(int64(asOf)-int64(first)),
		float64(openCount),
		open.Float(),
		balance[0].Float(),
		balance[1].Float(),
		balance[2].Float(),
		balance[3].Float(),
		balance[4].Float(),
		overdue.Float(),
		overdueShare,
		oldest,
		monthsSince(lastLate, asOf),
		recent.value()-prior.value(),
		dso,
		growth,
	)
}

// ageBucket returns the ageing bucket of an item dpd days past due:
// 0 current (not yet past due), 1: 1–30, 2: 31–60, 3: 61–90, 4: over 90.
func ageBucket(dpd int64) int {
	switch {
	case dpd <= 0:
		return 0
	case dpd <= 30:
		return 1
	case dpd <= 60:
		return 2
	case dpd <= 90:
		return 3
	}
	return 4
}

// stAcc accumulates the statement features over the latest statements.
type stAcc struct {
	dpdMax     int32
	dpdSum     int64
	dpdN       int
	delinquent int
	byDPD      [5]int // 0, 1–29, 30–59, 60–89, 90+ days past due
	unknown    int
	status     mean
	util       mean
	balance    mean
	payment    mean
}

func (a *stAcc) add(st *datasets.Statement) {
	if dpd := st.DaysPastDue; dpd >= 0 {
		if a.dpdN == 0 || dpd > a.dpdMax {
			a.dpdMax = dpd
		}
		a.dpdSum += int64(dpd)
		a.dpdN++
		if dpd > 0 {
			a.delinquent++
		}
		switch {
		case dpd == 0:
			a.byDPD[0]++
		case dpd < 30:
			a.byDPD[1]++
		case dpd < 60:
			a.byDPD[2]++
		case dpd < 90:
			a.byDPD[3]++
		default:
			a.byDPD[4]++
		}
	} else {
		a.unknown++
	}
	if x, ok := parseStatus(st.Status); ok {
		a.status.add(x)
	}
	a.util.add(utilisation(st))
	a.balance.add(st.Balance.Float())
	a.payment.add(st.Payment.Float())
}

func (s *Set) appendStatements(v []float64, sts []datasets.Statement, asOf datasets.Date) []float64 {
	// latest holds the indexes of the s.periods latest statements before
	// asOf, latest first; among equal period ends the later row is later.
	// Keeping them by insertion makes the result independent of row order
	// without sorting (or allocating).
	var latest [MaxStatementWindow]int32
	k, count := 0, 0
	lastDelinquent := datasets.NoDate
	for i := range sts {
		pe := sts[i].PeriodEnd
		if pe == datasets.NoDate || pe >= asOf {
			continue
		}
		count++
		if sts[i].DaysPastDue > 0 {
			lastDelinquent = max(lastDelinquent, pe)
		}
		pos := k
		for pos > 0 && sts[latest[pos-1]].PeriodEnd <= pe {
			pos--
		}
		if pos >= s.periods {
			continue
		}
		if k < s.periods {
			k++
		}
		copy(latest[pos+1:k], latest[pos:k-1])
		latest[pos] = int32(i)
	}
	if count == 0 {
		return appendNaN(v, s.statementColumns())
	}
	last := &sts[latest[0]]
	status, numeric := parseStatus(last.Status)
	if !numeric {
		status = math.NaN()
	}
	v = append(v,
		float64(count),
		months(int64(asOf)-int64(last.PeriodEnd)),
		dpdValue(last.DaysPastDue),
		status,
	)
	other := 0.0
	if !numeric && last.Status != "" {
		other = 1
	}
	for _, l := range s.StatusLevels {
		x := 0.0
		if !numeric && last.Status == l {
			x, other = 1, 0
		}
		v = append(v, x)
	}
	v = append(v, other)

	util := utilisation(last)
	var prevUtil, payRatios mean
	for j := 1; j < min(k, 4); j++ {
		prevUtil.add(utilisation(&sts[latest[j]]))
		payRatios.add(paymentRatio(&sts[latest[j-1]], &sts[latest[j]]))
	}
	// The statement before the latest: the direction of the most recent
	// change is an early-warning signal of its own.
	payRatio, prevDPD, prevStatus, prevBalance, prevPayment := math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if k > 1 {
		prev := &sts[latest[1]]
		payRatio = paymentRatio(last, prev)
		prevDPD = dpdValue(prev.DaysPastDue)
		if x, ok := parseStatus(prev.Status); ok {
			prevStatus = x
		}
		prevBalance, prevPayment = prev.Balance.Float(), prev.Payment.Float()
	}
	v = append(v,
		last.Balance.Float(),
		last.Payment.Float(),
		last.CreditLimit.Float(),
		util,
		util-prevUtil.value(),
		payRatio,
		payRatios.value(),
		monthsSince(lastDelinquent, asOf),
		prevDPD,
		prevStatus,
		prevBalance,
		prevPayment,
		dpdValue(last.DaysPastDue)-prevDPD,
	)

	// Windows are sorted, so one pass accumulates each in turn.
	var acc stAcc
	j := 0
	for _, n := range s.Config.StatementWindows {
		for ; j < min(n, k); j++ {
			acc.add(&sts[latest[j]])
		}
		dpdMax, dpdMean := math.NaN(), math.NaN()
		if acc.dpdN > 0 {
			dpdMax = float64(acc.dpdMax)
			dpdMean = float64(acc.dpdSum) / float64(acc.dpdN)
		}
		v = append(v,
			dpdMax,
			dpdMean,
			float64(acc.delinquent),
			acc.status.value(),
			acc.util.value(),
			acc.balance.value(),
			acc.payment.value(),
		)
	}
	// acc now covers the largest window.
	return append(v,
		float64(acc.byDPD[0]),
		float64(acc.byDPD[1]),
		float64(acc.byDPD[2]),
		float64(acc.byDPD[3]),
		float64(acc.byDPD[4]),
		float64(acc.unknown),
	)
}

func (s *Set) statementColumns() int {
	return len(stLatestColumns) + len(s.StatusLevels) + 1 + len(stLatestColumns2) +
		len(s.Config.StatementWindows)*len(stWindowColumns) + len(stCountColumns)
}

func (s *Set) appendCustomer(v []float64, c *datasets.Customer) []float64 {
	if c == nil {
		v = append(v, 1)
		v = appendNaN(v, len(s.numIdx))
		for _, lv := range s.catLevels {
			for range len(lv) + 1 {
				v = append(v, 0)
			}
		}
		return v
	}
	v = append(v, 0)
	for _, i := range s.numIdx {
		x := math.NaN()
		if i < len(c.Numeric) && !math.IsInf(c.Numeric[i], 0) {
			x = c.Numeric[i]
		}
		v = append(v, x)
	}
	for a, i := range s.catIdx {
		value := ""
		if i < len(c.Categorical) {
			value = c.Categorical[i]
		}
		// A missing value is no level, not even "other".
		other := 0.0
		if value != "" {
			other = 1
		}
		for _, l := range s.catLevels[a] {
			x := 0.0
			if value == l {
				x, other = 1, 0
			}
			v = append(v, x)
		}
		v = append(v, other)
	}
	return v
}

// mean is the mean of the non-NaN values added; NaN when there are none.
type mean struct {
	sum float64
	n   int
}

func (m *mean) add(x float64) {
	if !math.IsNaN(x) {
		m.sum += x
		m.n++
	}
}

func (m *mean) value() float64 {
	if m.n == 0 {
		return math.NaN()
	}
	return m.sum / float64(m.n)
}

// utilisation is balance / credit limit, NaN without a positive limit or a
// balance, bounded by ±maxRatio.
func utilisation(st *datasets.Statement) float64 {
	if st.CreditLimit == datasets.NoAmount || st.CreditLimit <= 0 || st.Balance == datasets.NoAmount {
		return math.NaN()
	}
	return clampRatio(st.Balance.Float() / st.CreditLimit.Float())
}

// paymentRatio is the payment of a period over the balance of the period
// before, NaN without a payment or a positive previous balance, bounded by
// ±maxRatio.
func paymentRatio(st, prev *datasets.Statement) float64 {
	if st.Payment == datasets.NoAmount || prev.Balance == datasets.NoAmount || prev.Balance <= 0 {
		return math.NaN()
	}
	return clampRatio(st.Payment.Float() / prev.Balance.Float())
}

func clampRatio(r float64) float64 { return max(-maxRatio, min(r, maxRatio)) }

func dpdValue(dpd int32) float64 {
	if dpd < 0 {
		return math.NaN()
	}
	return float64(dpd)
}

// wavg is sum / weight, NaN without weight.
func wavg(sum, weight float64) float64 {
	if !(weight > 0) {
		return math.NaN()
	}
	return sum / weight
}

// share is n / of, NaN when of is 0.
func share(n, of int) float64 {
	if of == 0 {
		return math.NaN()
	}
	return float64(n) / float64(of)
}

func months(days int64) float64 { return float64(days) / daysPerMonth }

// monthsSince is the time from d to asOf in months, NaN when d is NoDate.
func monthsSince(d, asOf datasets.Date) float64 {
	if d == datasets.NoDate {
		return math.NaN()
	}
	return months(int64(asOf) - int64(d))
}

// addAmount adds two non-negative amounts, saturating instead of wrapping:
// a balance that no int64 holds is not a negative balance.
func addAmount(a, b datasets.Amount) datasets.Amount {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}

func appendNaN(v []float64, n int) []float64 {
	for range n {
		v = append(v, math.NaN())
	}
	return v
}

// parseStatus reads a status code that is a plain decimal number ("-2",
// "1", " 3 ", "0.5"), without allocating; ok is false for anything else
// ("C", "X", "", "1e3", more than maxStatusDigits digits).
func parseStatus(s string) (x float64, ok bool) {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var whole, frac float64
	digits, scale, dot := 0, 1.0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !dot:
			dot = true
		case c >= '0' && c <= '9':
			digits++
			if digits > maxStatusDigits {
				return 0, false
			}
			if dot {
				scale *= 10
				frac = frac*10 + float64(c-'0')
			} else {
				whole = whole*10 + float64(c-'0')
			}
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	x = whole + frac/scale
	if neg {
		x = -x
	}
	return x, true
}
