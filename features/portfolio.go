package features

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/credence-risk/credence/datasets"
)

// DefaultPortfolioPrior is the credibility of the book-wide figures, in
// customers: a group of n customers gets n / (n + prior) of its own figure.
const DefaultPortfolioPrior = 50

// DefaultPortfolioGroups are the customers attributes the portfolio block
// groups by when the configuration names none and the book has them.
var DefaultPortfolioGroups = []string{"industry", "country", "segment"}

// PortfolioConfig turns on the portfolio block: the context of the other
// customers of the book at each as-of date, the customer's position
// against it, and the trends of overdue balance and limit use.
type PortfolioConfig struct {
	// GroupBy names the categorical attributes whose groups get their own
	// context; nil: those of DefaultPortfolioGroups the book has. The
	// whole book is always a group.
	GroupBy []string `json:"group_by" yaml:"group_by"`
	// Prior is the credibility of the book-wide figures, in customers;
	// 0 means DefaultPortfolioPrior.
	Prior float64 `json:"prior,omitempty" yaml:"prior,omitempty"`
}

// PortfolioDate is the date of the portfolio context that a customer
// scored as of asOf sees: the first day of asOf's month. The context is a
// set of monthly figures, so one context serves every as-of date of a
// month, and it uses only facts dated before that day, hence before asOf.
func PortfolioDate(asOf datasets.Date) datasets.Date {
	return asOf - datasets.Date(asOf.Time().Day()-1)
}

// dbtLow and dbtHigh bound the days beyond terms the context's histograms keep;
// a value outside counts at the bound, which moves a median only when half
// the items lie beyond it.
const dbtLow, dbtHigh = -365, 730

// groupStats are the finished figures of one group.
type groupStats struct {
	rate      float64 // defaults over the last 12 months / customers at risk, shrunk
	dbt       float64 // median days beyond terms of the items paid in the month before, shrunk
	dbtChange float64 // dbt minus the same figure three months earlier
}

// Portfolio is the portfolio context of a book at one date (a
// PortfolioDate): per group of customers, the 12-month default rate and the
// median days beyond terms of the last month and its change over three
// months. It is immutable and safe for concurrent use; Set.BuildIn reads
// it.
type Portfolio struct {
	// Date is the context's date: it uses only facts dated before it.
	Date datasets.Date
	// Customers is the number of customers seen before Date.
	Customers int64
	book      groupStats
	groups    []map[string]groupStats // per Set.portKeys
}

// PortfolioAcc accumulates the portfolio context of a book at one or more
// dates, one history at a time. Accumulators of parts of a book Merge into
// the context of the whole, in any order; Finish gives the contexts. It is
// not safe for concurrent use.
type PortfolioAcc struct {
	set   *Set
	rule  DefaultRule
	dates []datasets.Date // sorted PortfolioDates
	at    []dateAcc       // per date
	// The windows of each date, computed once: the year before it, the
	// month before it, and the month three months before that.
	yearStart, nowStart, thenStart, thenEnd []datasets.Date
}

type dateAcc struct {
	book   groupAcc
	groups []map[string]*groupAcc // per Set.portKeys, by attribute value
}

// groupAcc counts one group at one date.
type groupAcc struct {
	customers int64 // seen before the date
	atRisk    int64 // seen, and not in default 12 months before the date
	defaulted int64 // at risk, first default in the 12 months before the date
	now, then dbtHist
}

// dbtHist counts the items paid in one month by whole days beyond terms,
// so that its median is exact and two histograms merge by adding.
type dbtHist struct {
	customers int64 // customers with an item in it
	days      map[int32]int64
}

func (h *dbtHist) add(dbt int32) {
	if h.days == nil {
		h.days = map[int32]int64{}
	}
	h.days[dbt]++
}

func (h *dbtHist) merge(o *dbtHist) {
	h.customers += o.customers
	for d, n := range o.days {
		if h.days == nil {
			h.days = map[int32]int64{}
		}
		h.days[d] += n
	}
}

// median is the exact median of the counted values (the mean of the two
// middle ones for an even count), NaN without any.
func (h *dbtHist) median() float64 {
	var n int64
	for _, c := range h.days {
		n += c
	}
	if n == 0 {
		return math.NaN()
	}
	keys := make([]int32, 0, len(h.days))
	for d := range h.days {
		keys = append(keys, d)
	}
	slices.Sort(keys)
	lo, hi := (n-1)/2, n/2
	var seen int64
	var a, b float64
	for _, d := range keys {
		next := seen + h.days[d]
		if lo >= seen && lo < next {
			a = float64(d)
		}
		if hi >= seen && hi < next {
			b = float64(d)
			break
		}
		seen = next
	}
	return (a + b) / 2
}

func (g *groupAcc) merge(o *groupAcc) {
	g.customers += o.customers
	g.atRisk += o.atRisk
	g.defaulted += o.defaulted
	g.now.merge(&o.now)
	g.then.merge(&o.then)
}

// NewPortfolioAcc returns an empty accumulator of the context of s at the
// PortfolioDates of asOfs, with defaults dated by rule. It returns nil when
// s has no portfolio block.
func (s *Set) NewPortfolioAcc(rule DefaultRule, asOfs ...datasets.Date) *PortfolioAcc {
	if !s.HasPortfolio() {
		return nil
	}
	var dates []datasets.Date
	for _, d := range asOfs {
		if d != datasets.NoDate {
			dates = append(dates, PortfolioDate(d))
		}
	}
	slices.Sort(dates)
	dates = slices.Compact(dates)
	a := &PortfolioAcc{set: s, rule: rule, dates: dates, at: make([]dateAcc, len(dates))}
	for _, d := range dates {
		a.yearStart = append(a.yearStart, d.AddMonths(-12))
		a.nowStart = append(a.nowStart, d.AddMonths(-1))
		a.thenStart = append(a.thenStart, d.AddMonths(-4))
		a.thenEnd = append(a.thenEnd, d.AddMonths(-3))
	}
	for i := range a.at {
		a.at[i].groups = make([]map[string]*groupAcc, len(s.portKeys))
		for k := range a.at[i].groups {
			a.at[i].groups[k] = map[string]*groupAcc{}
		}
	}
	return a
}

// Dates returns the context dates the accumulator counts.
func (a *PortfolioAcc) Dates() []datasets.Date { return slices.Clone(a.dates) }

// Add counts one customer's history at every date: whether it was seen and
// at risk, whether it defaulted in the 12 months before, and the days
// beyond terms of its items paid in the month before and four months
// before. Only facts dated before each date count there.
func (a *PortfolioAcc) Add(h *datasets.History) {
	if h == nil || len(a.dates) == 0 {
		return
	}
	groups := a.groupsOf(h)
	first := datasets.NoDate // first invoice issued or statement ended
	for i := range h.Invoices {
		if d := h.Invoices[i].IssueDate; d != datasets.NoDate && (first == datasets.NoDate || d < first) {
			first = d
		}
	}
	for i := range h.Statements {
		if d := h.Statements[i].PeriodEnd; d != datasets.NoDate && (first == datasets.NoDate || d < first) {
			first = d
		}
	}
	def := a.rule.Date(h)
	if def != datasets.NoDate && (first == datasets.NoDate || def < first) {
		first = def
	}
	if first == datasets.NoDate {
		return
	}
	for i, d := range a.dates {
		if first >= d {
			continue
		}
		atRisk := def == datasets.NoDate || def >= a.yearStart[i]
		defaulted := atRisk && def != datasets.NoDate && def < d
		a.each(i, groups, func(g *groupAcc) {
			g.customers++
			if atRisk {
				g.atRisk++
			}
			if defaulted {
				g.defaulted++
			}
		})
	}
	// An item paid in the month before date d counts in d's "now"; one
	// paid four months before d in d's "then". Dates are first days of
	// distinct months, so the windows of each kind are disjoint and each
	// paid item lands in at most one of each.
	var nowSeen, thenSeen []bool
	lo, hi := a.thenStart[0], a.dates[len(a.dates)-1]
	for j := range h.Invoices {
		inv := &h.Invoices[j]
		paid := inv.PaidDate
		if paid == datasets.NoDate || paid < lo || paid >= hi || inv.IssueDate == datasets.NoDate || inv.IssueDate > paid {
			continue
		}
		due := inv.DueDate
		if due == datasets.NoDate {
			due = inv.IssueDate
		}
		dbt := int32(max(dbtLow, min(int64(paid)-int64(due), dbtHigh)))
		if i := window(a.nowStart, a.dates, paid); i >= 0 {
			a.addPaid(i, groups, &nowSeen, dbt, func(g *groupAcc) *dbtHist { return &g.now })
		}
		if i := window(a.thenStart, a.thenEnd, paid); i >= 0 {
			a.addPaid(i, groups, &thenSeen, dbt, func(g *groupAcc) *dbtHist { return &g.then })
		}
	}
}

// addPaid counts an item paid dbt days beyond terms in the histogram hist
// picks of each of the customer's groups at date i; seen marks the dates
// the customer already counts in, so that it counts once.
func (a *PortfolioAcc) addPaid(i int, groups []string, seen *[]bool, dbt int32, hist func(*groupAcc) *dbtHist) {
	if *seen == nil {
		*seen = make([]bool, len(a.dates))
	}
	first := !(*seen)[i]
	(*seen)[i] = true
	a.each(i, groups, func(g *groupAcc) {
		h := hist(g)
		h.add(dbt)
		if first {
			h.customers++
		}
	})
}

// window returns the i with start[i] <= d < end[i], or -1; the windows are
// disjoint and sorted.
func window(start, end []datasets.Date, d datasets.Date) int {
	i, _ := slices.BinarySearch(end, d+1) // the first end > d
	if i < len(end) && start[i] <= d {
		return i
	}
	return -1
}

// groupsOf returns the customer's value of each grouping attribute, ""
// when missing.
func (a *PortfolioAcc) groupsOf(h *datasets.History) []string {
	out := make([]string, len(a.set.portKeys))
	if h.Customer == nil {
		return out
	}
	for k, i := range a.set.portKeys {
		if i >= 0 && i < len(h.Customer.Categorical) {
			out[k] = h.Customer.Categorical[i]
		}
	}
	return out
}

// each applies f to the book's group and the customer's groups at date i.
func (a *PortfolioAcc) each(i int, groups []string, f func(*groupAcc)) {
	at := &a.at[i]
	f(&at.book)
	for k, v := range groups {
		if v == "" {
			continue
		}
		g := at.groups[k][v]
		if g == nil {
			g = &groupAcc{}
			at.groups[k][v] = g
		}
		f(g)
	}
}

// Merge adds the counts of o, an accumulator of the same feature set and
// dates over other customers.
func (a *PortfolioAcc) Merge(o *PortfolioAcc) error {
	if !slices.Equal(a.dates, o.dates) || len(a.set.portKeys) != len(o.set.portKeys) {
		return fmt.Errorf("merge portfolio contexts: dates %v and %v differ", a.dates, o.dates)
	}
	for i := range a.at {
		a.at[i].book.merge(&o.at[i].book)
		for k, m := range o.at[i].groups {
			for v, g := range m {
				mine := a.at[i].groups[k][v]
				if mine == nil {
					mine = &groupAcc{}
					a.at[i].groups[k][v] = mine
				}
				mine.merge(g)
			}
		}
	}
	return nil
}

// Finish returns the context at each date, in date order. A group's
// figures are shrunk towards the book's: its default rate is
// (defaulted + prior × book rate) / (at risk + prior), its median days
// beyond terms (customers × median + prior × book median) / (customers +
// prior), so that a group of three customers says little of its own.
func (a *PortfolioAcc) Finish() []*Portfolio {
	prior := a.set.Config.Portfolio.Prior
	out := make([]*Portfolio, len(a.dates))
	for i, d := range a.dates {
		at := &a.at[i]
		book := finishGroup(&at.book, nil, prior)
		p := &Portfolio{Date: d, Customers: at.book.customers, book: book, groups: make([]map[string]groupStats, len(at.groups))}
		for k, m := range at.groups {
			p.groups[k] = make(map[string]groupStats, len(m))
			for v, g := range m {
				p.groups[k][v] = finishGroup(g, &book, prior)
			}
		}
		out[i] = p
	}
	return out
}

// finishGroup computes a group's figures, shrunk towards book unless it is
// the book itself (nil).
func finishGroup(g *groupAcc, book *groupStats, prior float64) groupStats {
	rate := math.NaN()
	if g.atRisk > 0 {
		rate = float64(g.defaulted) / float64(g.atRisk)
	}
	now, then := g.now.median(), g.then.median()
	if book != nil {
		rate = shrink(rate, float64(g.atRisk), book.rate, prior)
		now = shrink(now, float64(g.now.customers), book.dbt, prior)
		then = shrink(then, float64(g.then.customers), book.dbt-book.dbtChange, prior)
	}
	return groupStats{rate: rate, dbt: now, dbtChange: now - then}
}

// shrink is the credibility-weighted mean of x (from n customers) and the
// book's figure; x alone when the book's figure is unknown.
func shrink(x, n, book, prior float64) float64 {
	switch {
	case math.IsNaN(x) || n == 0:
		return book
	case math.IsNaN(book):
		return x
	}
	return (n*x + prior*book) / (n + prior)
}

// stats returns the figures of group key k with value v; the book's when
// the value is missing or no customer of the group was seen.
func (p *Portfolio) stats(k int, v string) groupStats {
	if v != "" {
		if g, ok := p.groups[k][v]; ok {
			return g
		}
	}
	return p.book
}

// HasPortfolio reports whether the set has the portfolio block, so that
// its features need a Portfolio context (BuildIn).
func (s *Set) HasPortfolio() bool { return s.Config.Portfolio != nil }

// IsPortfolioContext reports whether the feature is a figure of the
// portfolio context (the same for every customer of a group at a date), as
// opposed to the customer's own position or trend.
func IsPortfolioContext(name string) bool {
	rest, ok := strings.CutPrefix(name, "port_")
	if !ok {
		return false
	}
	for _, c := range portfolioGroupColumns[:3] {
		if strings.HasSuffix(rest, "_"+c.name) {
			return true
		}
	}
	return false
}

// portfolioGroupColumns are the features of each group of the portfolio
// block, after port_<group>_; the dbt ones only when the set reads invoices.
var portfolioGroupColumns = [...]column{
	{"default_rate_12m", true},
	{"dbt_median_1m", false},
	{"dbt_median_change_3m", false},
	{"dbt_gap", false},
}

// portfolioNames adds the names of the portfolio block.
func (s *Set) portfolioNames(add func(string, bool)) {
	if !s.HasPortfolio() {
		return
	}
	cols := portfolioGroupColumns[:]
	if s.Config.SkipInvoices {
		cols = cols[:1]
	}
	for _, g := range append([]string{"book"}, s.Config.Portfolio.GroupBy...) {
		for _, c := range cols {
			add("port_"+g+"_"+c.name, c.nonNegative)
		}
	}
	if !s.Config.SkipInvoices {
		add("inv_overdue_growth_3m", false)
		if slices.Contains(s.NumericAttributes, limitAttribute) {
			add("inv_limit_use", false)
		}
	}
}

// limitAttribute is the customers column of the credit limit that
// inv_limit_use divides by.
const limitAttribute = "current_limit"

// appendPortfolio appends the portfolio block of h as of asOf with context
// p (nil: the context columns are NaN).
func (s *Set) appendPortfolio(v []float64, h *datasets.History, asOf datasets.Date, p *Portfolio) []float64 {
	if !s.HasPortfolio() {
		return v
	}
	if p != nil && p.Date != PortfolioDate(asOf) {
		panic(fmt.Sprintf("features: portfolio context of %s used as of %s", p.Date, asOf))
	}
	own := s.ownTrends(h, asOf)
	groups := len(s.Config.Portfolio.GroupBy) + 1
	for k := range groups {
		g := groupStats{rate: math.NaN(), dbt: math.NaN(), dbtChange: math.NaN()}
		if p != nil {
			if k == 0 {
				g = p.book
			} else {
				value := ""
				if i := s.portKeys[k-1]; h.Customer != nil && i >= 0 && i < len(h.Customer.Categorical) {
					value = h.Customer.Categorical[i]
				}
				g = p.stats(k-1, value)
			}
		}
		if s.Config.SkipInvoices {
			v = append(v, g.rate)
			continue
		}
		v = append(v, g.rate, g.dbt, g.dbtChange, own.dbt3m-g.dbt)
	}
	if s.Config.SkipInvoices {
		return v
	}
	v = append(v, own.overdueGrowth)
	if s.portLimit >= 0 {
		limit := math.NaN()
		if h.Customer != nil && s.portLimit < len(h.Customer.Numeric) {
			limit = h.Customer.Numeric[s.portLimit]
		}
		use := math.NaN()
		if own.known && limit > 0 && !math.IsInf(limit, 0) {
			use = clampRatio(own.open / limit)
		}
		v = append(v, use)
	}
	return v
}

// trends are the customer's own figures the portfolio block compares.
type trends struct {
	known         bool    // an invoice was issued before as_of
	dbt3m         float64 // amount-weighted dbt of the items paid in the 3 months before as_of
	overdueGrowth float64 // (a − b) / (a + b), overdue balance now (a) and 3 months before (b)
	open          float64 // open balance at as_of
}

// ownTrends follows appendInvoices' rules: an item is open at a date unless
// paid before it, short-paid items stay owed for the rest, and an item is
// overdue at a date past its due date.
func (s *Set) ownTrends(h *datasets.History, asOf datasets.Date) trends {
	t := trends{dbt3m: math.NaN(), overdueGrowth: math.NaN(), open: math.NaN()}
	then := asOf.AddMonths(-3)
	var recent weighted
	var open, overdueNow, overdueThen datasets.Amount
	for i := range h.Invoices {
		inv := &h.Invoices[i]
		issue := inv.IssueDate
		if issue == datasets.NoDate || issue >= asOf {
			continue
		}
		t.known = true
		amount := max(inv.Amount, 0)
		due := inv.DueDate
		if due == datasets.NoDate {
			due = issue
		}
		owedAt := func(d datasets.Date) datasets.Amount {
			if paid := inv.PaidDate; paid != datasets.NoDate && paid < d {
				return amount - min(max(inv.Settled(), 0), amount)
			}
			return amount
		}
		now := owedAt(asOf)
		open = addAmount(open, now)
		if due < asOf {
			overdueNow = addAmount(overdueNow, now)
		}
		if issue < then && due < then {
			overdueThen = addAmount(overdueThen, owedAt(then))
		}
		if paid := inv.PaidDate; paid != datasets.NoDate && paid < asOf && paid >= then {
			recent.add(amount.Float(), int64(paid)-int64(due))
		}
	}
	if !t.known {
		return t
	}
	t.dbt3m = recent.value()
	t.open = open.Float()
	if a, b := overdueNow.Float(), overdueThen.Float(); a+b > 0 {
		t.overdueGrowth = (a - b) / (a + b)
	}
	return t
}
