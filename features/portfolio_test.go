package features

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets"
)

func portfolioConfig() Config {
	c := DefaultConfig()
	c.Portfolio = &PortfolioConfig{Prior: 2}
	return c
}

// contextOf finishes the context of hs at asOf's portfolio date.
func contextOf(t testing.TB, s *Set, rule DefaultRule, asOf datasets.Date, hs []*datasets.History) *Portfolio {
	t.Helper()
	a := s.NewPortfolioAcc(rule, asOf)
	for _, h := range hs {
		a.Add(h)
	}
	ps := a.Finish()
	if len(ps) != 1 {
		t.Fatalf("%d contexts; want 1", len(ps))
	}
	return ps[0]
}

// paidInvoice is an item due on due and paid dbt days after it.
func paidInvoice(due datasets.Date, dbt int, amount float64) datasets.Invoice {
	return datasets.Invoice{IssueDate: due - 30, DueDate: due, Amount: amt(amount),
		PaidDate: due + datasets.Date(dbt), PaidAmount: datasets.NoAmount}
}

func customerIn(id, industry, country string) *datasets.History {
	return &datasets.History{CustomerID: id, Customer: &datasets.Customer{CustomerID: id,
		Numeric: []float64{math.NaN(), 1000}, Categorical: []string{industry, country}}}
}

// TestPortfolioByHand checks the context of a small book worked out by
// hand, as of 2024-07-10 (context date 2024-07-01, "this month" is June,
// three months before is March, the year is from 2023-07-01).
func TestPortfolioByHand(t *testing.T) {
	asOf := ymd(2024, time.July, 10)
	s := mustSet(t, portfolioConfig(), testSchema, nil)
	if got := s.Config.Portfolio.GroupBy; !slices.Equal(got, []string{"industry", "country"}) {
		t.Fatalf("group_by %q; want the book's industry and country", got)
	}
	a := customerIn("a", "retail", "DE")
	a.Invoices = []datasets.Invoice{
		paidInvoice(ymd(2024, time.June, 1), 10, 100), // June: 10
		paidInvoice(ymd(2024, time.June, 5), 20, 300), // June: 25
		paidInvoice(ymd(2024, time.March, 1), 4, 100), // March: 4
		{IssueDate: ymd(2024, time.May, 1), DueDate: ymd(2024, time.May, 31), Amount: amt(500),
			PaidDate: datasets.NoDate, PaidAmount: datasets.NoAmount}, // open, overdue now, not issued 3 months ago
	}
	b := customerIn("b", "retail", "FR")
	b.Invoices = []datasets.Invoice{paidInvoice(ymd(2024, time.June, 1), 29, 100)} // June: 29
	b.Defaults = []datasets.Default{{DefaultDate: ymd(2024, time.January, 15)}}    // in the year
	c := customerIn("c", "mining", "DE")
	c.Invoices = []datasets.Invoice{paidInvoice(ymd(2024, time.May, 1), 0, 100)}
	c.Defaults = []datasets.Default{{DefaultDate: ymd(2022, time.January, 15)}} // before the year: not at risk
	d := customerIn("d", "mining", "")
	d.Invoices = []datasets.Invoice{paidInvoice(ymd(2024, time.June, 20), 40, 100)} // issued in May, paid in July
	d.Defaults = []datasets.Default{{DefaultDate: ymd(2024, time.July, 5)}}         // after the context date
	e := customerIn("e", "mining", "DE")                                            // nothing dated: not seen
	p := contextOf(t, s, DefaultRule{}, asOf, []*datasets.History{a, b, c, d, e})
	if p.Date != ymd(2024, time.July, 1) || p.Customers != 4 {
		t.Fatalf("context of %s with %d customers; want 2024-07-01 and 4 (a, b, c, d)", p.Date, p.Customers)
	}
	// Book: at risk a, b, d (c defaulted before the year); b defaulted.
	// June dbt: a 10, 20 and b 29: median 20 from 2 customers; March: a 4.
	book := 1.0 / 3
	retailRate := (1 + 2*book) / (2 + 2) // a, b at risk, b defaulted
	retailDBT := (2*20.0 + 2*20) / 4     // a and b paid in June, median 20
	retailThen := (1*4.0 + 2*4) / 3      // a paid in March
	deRate := (0 + 2*book) / (1 + 2)     // a at risk (c is not)
	deDBT := (1*15.0 + 2*20) / 3         // a alone in June: median of 10, 20
	own := (10*100.0 + 20*300) / 400     // a's amount-weighted dbt over three months
	got := s.BuildIn(a, asOf, p, nil)
	checkFeatures(t, s, got, map[string]float64{
		"port_book_default_rate_12m":         book,
		"port_book_dbt_median_1m":            20,
		"port_book_dbt_median_change_3m":     16,
		"port_book_dbt_gap":                  own - 20,
		"port_industry_default_rate_12m":     retailRate,
		"port_industry_dbt_median_1m":        retailDBT,
		"port_industry_dbt_median_change_3m": retailDBT - retailThen,
		"port_country_default_rate_12m":      deRate,
		"port_country_dbt_median_1m":         deDBT,
		"port_country_dbt_gap":               own - deDBT,
		"inv_overdue_growth_3m":              1,
		"inv_limit_use":                      500.0 / 1000,
	})
	// d has no country: the book's figures stand in.
	got = s.BuildIn(d, asOf, p, nil)
	checkFeatures(t, s, got, map[string]float64{
		"port_country_default_rate_12m": book,
		"port_country_dbt_median_1m":    20,
	})
	// Without a context the context columns are NaN; the trends are not.
	got = s.Build(a, asOf, nil)
	if i := s.Index("port_book_default_rate_12m"); !math.IsNaN(got[i]) {
		t.Errorf("without a context port_book_default_rate_12m = %v; want NaN", got[i])
	}
	checkFeatures(t, s, got, map[string]float64{"inv_overdue_growth_3m": 1})
}

// TestPortfolioMedianExact checks the histogram median against a sort.
func TestPortfolioMedianExact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 60; n++ {
		var h dbtHist
		xs := make([]float64, n)
		for i := range xs {
			x := int32(r.IntN(40) - 10)
			h.add(x)
			xs[i] = float64(x)
		}
		slices.Sort(xs)
		want := (xs[(n-1)/2] + xs[n/2]) / 2
		if got := h.median(); got != want {
			t.Fatalf("median of %v = %v; want %v", xs, got, want)
		}
	}
}

// randomBook returns n generated histories with distinct ids, some of
// which default.
func randomBook(r *rand.Rand, n int) []*datasets.History {
	hs := make([]*datasets.History, n)
	for i := range hs {
		h := randomHistory(r)
		h.CustomerID = "c" + strconv.Itoa(i)
		if r.IntN(4) == 0 {
			h.Defaults = []datasets.Default{{DefaultDate: genStart + datasets.Date(r.IntN(1200))}}
		}
		hs[i] = h
	}
	return hs
}

// buildAll builds every history's features with the book's context.
func buildAll(t testing.TB, s *Set, rule DefaultRule, asOf datasets.Date, hs []*datasets.History) [][]float64 {
	p := contextOf(t, s, rule, asOf, hs)
	out := make([][]float64, len(hs))
	for i, h := range hs {
		out[i] = s.BuildIn(h, asOf, p, nil)
	}
	return out
}

func cloneBook(hs []*datasets.History) []*datasets.History {
	out := make([]*datasets.History, len(hs))
	for i, h := range hs {
		out[i] = cloneHistory(h)
	}
	return out
}

// TestPortfolioPointInTime checks that no fact of any customer dated on or
// after as_of (an invoice, a payment, a statement, a default, the scored
// customer's own future default among them) changes any feature of any
// customer as of it, under both default rules, while a default of another
// customer dated before the context date does.
func TestPortfolioPointInTime(t *testing.T) {
	r := rand.New(rand.NewPCG(20261201, 5))
	s := mustSet(t, portfolioConfig(), testSchema, nil)
	defaultFuture := mutation{"a default on or after as_of", func(r *rand.Rand, h *datasets.History, asOf datasets.Date) bool {
		h.Defaults = append(h.Defaults, datasets.Default{DefaultDate: asOf + datasets.Date(r.IntN(200))})
		return true
	}}
	mutations := append(slices.Clone(futureMutations[:len(futureMutations)-1]), defaultFuture)
	applied := map[string]int{}
	for trial := range 24 {
		rule := DefaultRule{}
		if trial%2 == 1 {
			rule.DPDThreshold = 90
		}
		hs := randomBook(r, 120)
		asOf := genStart.AddMonths(6+r.IntN(24)) + datasets.Date(r.IntN(28))
		before := buildAll(t, s, rule, asOf, hs)

		m := cloneBook(hs)
		for range 60 {
			mu := mutations[r.IntN(len(mutations))]
			if mu.apply(r, m[r.IntN(len(m))], asOf) {
				applied[mu.name]++
			}
		}
		after := buildAll(t, s, rule, asOf, m)
		for i := range hs {
			if !sameBits(before[i], after[i]) {
				t.Fatalf("as of %s (%v), facts dated on or after it changed %s of %s", asOf, rule, firstDiff(s, before[i], after[i]), hs[i].CustomerID)
			}
		}

		// A default of another customer of the same industry before the
		// context date must show in the customer's industry default rate.
		p := cloneBook(hs)
		target := hs[0]
		if target.Customer == nil || target.Customer.Categorical[0] == "" {
			continue
		}
		other := &datasets.History{CustomerID: "new", Customer: &datasets.Customer{CustomerID: "new",
			Numeric: []float64{1, 1}, Categorical: []string{target.Customer.Categorical[0], ""}},
			Defaults: []datasets.Default{{DefaultDate: PortfolioDate(asOf) - 1}}}
		p = append(p, other)
		got := buildAll(t, s, rule, asOf, p)[0]
		i := s.Index("port_industry_default_rate_12m")
		if got[i] == before[0][i] {
			t.Fatalf("as of %s, a default the day before the context date left port_industry_default_rate_12m at %v", asOf, got[i])
		}
		applied["a default before the context date"]++
	}
	for _, mu := range mutations {
		if applied[mu.name] < 20 {
			t.Errorf("%q applied %d times; want at least 20", mu.name, applied[mu.name])
		}
	}
	if applied["a default before the context date"] < 5 {
		t.Errorf("the past default was tried %d times; want at least 5", applied["a default before the context date"])
	}
}

// TestPortfolioMerge checks that contexts of parts merged in any order give
// the context of the whole, bit for bit.
func TestPortfolioMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	s := mustSet(t, portfolioConfig(), testSchema, nil)
	hs := randomBook(r, 300)
	dates := []datasets.Date{genStart.AddMonths(9), genStart.AddMonths(14) + 3, genStart.AddMonths(20)}
	rule := DefaultRule{DPDThreshold: 90}
	whole := s.NewPortfolioAcc(rule, dates...)
	for _, h := range hs {
		whole.Add(h)
	}
	var parts []*PortfolioAcc
	for k := range 4 {
		a := s.NewPortfolioAcc(rule, dates...)
		for _, h := range hs[k*75 : (k+1)*75] {
			a.Add(h)
		}
		parts = append(parts, a)
	}
	merged := s.NewPortfolioAcc(rule, dates...)
	for _, k := range []int{2, 0, 3, 1} {
		if err := merged.Merge(parts[k]); err != nil {
			t.Fatal(err)
		}
	}
	want, got := whole.Finish(), merged.Finish()
	for i, d := range dates {
		for _, h := range hs[:50] {
			a, b := s.BuildIn(h, d, want[i], nil), s.BuildIn(h, d, got[i], nil)
			if !sameBits(a, b) {
				t.Fatalf("as of %s: merged context differs at %s", d, firstDiff(s, a, b))
			}
		}
	}
	if err := merged.Merge(s.NewPortfolioAcc(rule, dates[0])); err == nil {
		t.Error("merging contexts of other dates succeeded")
	}
}

// TestPortfolioSetVersion checks that the portfolio block leaves a set
// without it as it was (its version and names, so stored models keep
// loading), and that a set with it round-trips through JSON.
func TestPortfolioSetVersion(t *testing.T) {
	plain := mustSet(t, DefaultConfig(), testSchema, nil)
	with := mustSet(t, portfolioConfig(), testSchema, nil)
	if plain.Version == with.Version {
		t.Fatal("the portfolio block did not change the version")
	}
	if !slices.Equal(with.Names()[:plain.Len()], plain.Names()) {
		t.Fatal("the portfolio block changed the features before it")
	}
	b, err := json.Marshal(with)
	if err != nil {
		t.Fatal(err)
	}
	var back Set
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Version != with.Version || !slices.Equal(back.Names(), with.Names()) || back.portLimit != with.portLimit {
		t.Fatalf("round trip: %s %v; want %s %v", back.Version, back.Names(), with.Version, with.Names())
	}
	if _, err := NewSet(Config{Portfolio: &PortfolioConfig{GroupBy: []string{"annual_revenue"}}}, testSchema, nil); err == nil {
		t.Error("grouping by a numeric attribute succeeded")
	}
	if _, err := NewSet(Config{Portfolio: &PortfolioConfig{Prior: -1}}, testSchema, nil); err == nil {
		t.Error("a negative prior succeeded")
	}
	context := 0
	for _, n := range with.Names() {
		if IsPortfolioContext(n) {
			context++
		}
	}
	if want := 3 * (1 + len(with.Config.Portfolio.GroupBy)); context != want || IsPortfolioContext("port_book_dbt_gap") || IsPortfolioContext("inv_limit_use") {
		t.Errorf("%d context features; want %d, gaps and trends not among them", context, want)
	}
	// A book without invoices gets only the default rates.
	noInv := mustSet(t, Config{SkipInvoices: true, Portfolio: &PortfolioConfig{GroupBy: []string{}}}, testSchema, nil)
	if got := noInv.Names()[noInv.Len()-1]; got != "port_book_default_rate_12m" {
		t.Errorf("last feature without invoices %q; want port_book_default_rate_12m", got)
	}
	if b, err = json.Marshal(noInv); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil || back.Version != noInv.Version {
		t.Fatalf("round trip without groups: %v, version %s; want %s", err, back.Version, noInv.Version)
	}
}

// TestPortfolioWire checks that accumulators of parts, encoded and decoded
// as a pipeline ships them, merge into the context of the whole book, and
// that the decoder refuses counts of other dates and cut encodings.
func TestPortfolioWire(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	s := mustSet(t, portfolioConfig(), testSchema, nil)
	hs := randomBook(r, 200)
	dates := []datasets.Date{genStart.AddMonths(10), genStart.AddMonths(18)}
	rule := DefaultRule{DPDThreshold: 90}
	whole := s.NewPortfolioAcc(rule, dates...)
	for _, h := range hs {
		whole.Add(h)
	}
	merged := s.NewPortfolioAcc(rule, dates...)
	var encoded []byte
	for k := range 2 {
		a := s.NewPortfolioAcc(rule, dates...)
		for _, h := range hs[k*100 : (k+1)*100] {
			a.Add(h)
		}
		b, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		again, _ := a.MarshalBinary()
		if string(b) != string(again) {
			t.Fatal("two encodings of one accumulator differ")
		}
		decoded, err := s.DecodePortfolioAcc(rule, b)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(decoded.Dates(), dates) {
			t.Fatalf("decoded dates %v; want %v", decoded.Dates(), dates)
		}
		if err := merged.Merge(decoded); err != nil {
			t.Fatal(err)
		}
		encoded = b
	}
	want, got := whole.Finish(), merged.Finish()
	for i, d := range dates {
		if got[i].Customers != want[i].Customers || got[i].Customers == 0 {
			t.Fatalf("as of %s: %d customers decoded; want %d", d, got[i].Customers, want[i].Customers)
		}
		for _, h := range hs {
			a, b := s.BuildIn(h, d, want[i], nil), s.BuildIn(h, d, got[i], nil)
			if !sameBits(a, b) {
				t.Fatalf("as of %s: decoded context differs at %s", d, firstDiff(s, a, b))
			}
		}
	}
	if err := s.NewPortfolioAcc(rule, dates[0]).UnmarshalBinary(encoded); err == nil {
		t.Error("an accumulator of one date decoded the counts of two")
	}
	for _, n := range []int{0, 1, len(encoded) / 2, len(encoded) - 1} {
		if err := s.NewPortfolioAcc(rule, dates...).UnmarshalBinary(encoded[:n]); err == nil {
			t.Errorf("decoded the first %d of %d bytes", n, len(encoded))
		}
	}
}
