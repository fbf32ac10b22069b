package synth

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

// testConfig is the book most tests share: big enough for stable rates
// (about 300 defaults), small enough to generate in about a second.
func testConfig() Config {
	return Config{Customers: 5000, Months: 24, Seed: 42, CustomersPerPart: 1500, Workers: 2}
}

var shared struct {
	once  sync.Once
	dir   string
	stats Stats
	book  *book
	err   error
}

// sharedBook generates the shared test book once per test binary.
func sharedBook(t *testing.T) (*book, Stats) {
	t.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "synth-test-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		shared.stats, shared.err = Generate(context.Background(), testConfig(), filepath.Join(dir, "book"), filepath.Join(dir, "truth.parquet"), nil)
		if shared.err == nil {
			shared.book = readBook(t, filepath.Join(dir, "book"), filepath.Join(dir, "truth.parquet"))
		}
	})
	if shared.err != nil {
		t.Fatalf("Generate: %v", shared.err)
	}
	if shared.book == nil {
		t.Fatal("the shared book could not be read back (see the first test that used it)")
	}
	return shared.book, shared.stats
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// monthIndex returns the month of d counted from start.
func monthIndex(start, d datasets.Date) int {
	ys, ms, _ := start.Time().Date()
	y, m, _ := d.Time().Date()
	return (y-ys)*12 + int(m-ms)
}

func defaultDates(b *book) map[string]datasets.Date {
	out := make(map[string]datasets.Date, len(b.defaults))
	for _, d := range b.defaults {
		out[d.CustomerID] = datasets.Date(d.DefaultDate)
	}
	return out
}

// annualisedDefaultRate is the package doc's measure: 1 − (1 − defaults /
// customer-months at risk)^12.
func annualisedDefaultRate(b *book, start datasets.Date, months int) float64 {
	atRisk := float64(len(b.customers)-len(b.defaults)) * float64(months)
	for _, d := range b.defaults {
		atRisk += float64(monthIndex(start, datasets.Date(d.DefaultDate)) + 1)
	}
	return 1 - math.Pow(1-float64(len(b.defaults))/atRisk, 12)
}

func TestDefaultRate(t *testing.T) {
	for _, rate := range []float64{0.01, 0.03, 0.08} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			cfg := testConfig()
			cfg.AnnualDefaultRate = rate
			var b *book
			if rate == 0.03 {
				b, _ = sharedBook(t)
			} else {
				dir := t.TempDir()
				if _, err := Generate(context.Background(), cfg, dir, "", nil); err != nil {
					t.Fatal(err)
				}
				b = readBook(t, dir, "")
			}
			// ±30%: binomial noise alone is about ±6% (one sd) at 0.03 on
			// 5,000 customers over two years, ±10% at 0.01.
			got := annualisedDefaultRate(b, defaultStart, cfg.Months)
			if got < 0.7*rate || got > 1.3*rate {
				t.Errorf("annualised default rate = %.4f; want %.4f ± 30%%", got, rate)
			}
		})
	}
}

// ageing returns the shares of the open balance at end that are current and
// 1–30, 31–60, 61–90 and over 90 days past due.
func ageing(b *book, end datasets.Date) [5]float64 {
	var sums [5]float64
	total := 0.0
	for _, inv := range b.invoices {
		if inv.PaidDate != nil {
			continue
		}
		dpd := int(end) - int(inv.DueDate)
		bucket := 0
		switch {
		case dpd > 90:
			bucket = 4
		case dpd > 60:
			bucket = 3
		case dpd > 30:
			bucket = 2
		case dpd > 0:
			bucket = 1
		}
		a := float64(inv.Amount)
		sums[bucket] += a
		total += a
	}
	for i := range sums {
		sums[i] /= total
	}
	return sums
}

// delayFigures are mean days beyond terms of groups of invoices.
type delayFigures struct {
	// Seen at the default date (defaulters) or the book's end (the others):
	beforeDefault float64 // defaulters' invoices due in the 90 days before the default
	nonDefaulters float64 // invoices of customers that never default
	longBefore    float64 // defaulters' invoices due a year or more before the default
	// Paid items only, so that the stop of payments plays no part:
	paidMidWindow float64 // defaulters' invoices due 90 to 180 days before the default
}

// daysBeyondTerms returns how late inv was as seen at asOf: paid_date − due
// for items paid by then, asOf − due for the others.
func daysBeyondTerms(inv *invoiceRec, asOf datasets.Date) float64 {
	if inv.PaidDate != nil && datasets.Date(*inv.PaidDate) <= asOf {
		return float64(*inv.PaidDate - inv.DueDate)
	}
	return float64(int32(asOf) - inv.DueDate)
}

func delays(b *book, end datasets.Date) delayFigures {
	defaults := defaultDates(b)
	type mean struct{ sum, n float64 }
	var before, non, long, mid mean
	add := func(m *mean, x float64) { m.sum += x; m.n++ }
	for i := range b.invoices {
		inv := &b.invoices[i]
		due := datasets.Date(inv.DueDate)
		d, defaulted := defaults[inv.CustomerID]
		if !defaulted {
			if due < end {
				add(&non, daysBeyondTerms(inv, end))
			}
			continue
		}
		switch {
		case due < d && due >= d-90:
			add(&before, daysBeyondTerms(inv, d))
		case due <= d-365:
			add(&long, daysBeyondTerms(inv, d))
		case due < d-90 && due >= d-180 && inv.PaidDate != nil:
			add(&mid, float64(*inv.PaidDate-inv.DueDate))
		}
	}
	return delayFigures{before.sum / before.n, non.sum / non.n, long.sum / long.n, mid.sum / mid.n}
}

// truthAUC returns the rank AUC of pd_12m at the end of month m against
// default within the following 12 months.
func truthAUC(b *book, m int) float64 {
	defaults := defaultDates(b)
	asOf := defaultStart.AddMonths(m+1) - 1
	horizon := asOf.AddMonths(12)
	type scored struct {
		pd  float64
		bad bool
	}
	var xs []scored
	for _, r := range b.truth {
		if datasets.Date(r.MonthEnd) != asOf {
			continue
		}
		d, ok := defaults[r.CustomerID]
		xs = append(xs, scored{r.PD12M, ok && d > asOf && d <= horizon})
	}
	return auc(xs, func(s scored) (float64, bool) { return s.pd, s.bad })
}

// auc is the Mann-Whitney rank AUC, ties counted half.
func auc[T any](xs []T, get func(T) (float64, bool)) float64 {
	type pt struct {
		s   float64
		bad bool
	}
	ps := make([]pt, len(xs))
	for i, x := range xs {
		ps[i].s, ps[i].bad = get(x)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].s < ps[j].s })
	var rankSum, nBad float64
	for i := 0; i < len(ps); {
		j := i
		for j < len(ps) && ps[j].s == ps[i].s {
			j++
		}
		rank := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			if ps[k].bad {
				rankSum += rank
				nBad++
			}
		}
		i = j
	}
	nGood := float64(len(ps)) - nBad
	return (rankSum - nBad*(nBad+1)/2) / (nBad * nGood)
}

func TestAgeing(t *testing.T) {
	b, stats := sharedBook(t)
	got := ageing(b, stats.ObservedUntil)
	// Ranges of a healthy trade book: most of the open balance not yet due,
	// a tail of late items, and defaulted customers' unpaid items over 90.
	want := []struct {
		bucket   string
		min, max float64
	}{
		{"current", 0.60, 0.92},
		{"1-30", 0.03, 0.20},
		{"31-60", 0.005, 0.08},
		{"61-90", 0.002, 0.04},
		{"90+", 0.02, 0.15},
	}
	for i, w := range want {
		if got[i] < w.min || got[i] > w.max {
			t.Errorf("share of open balance %s days past due = %.3f; want %.3f to %.3f", w.bucket, got[i], w.min, w.max)
		}
	}
}

func TestEarlyWarning(t *testing.T) {
	b, stats := sharedBook(t)
	d := delays(b, stats.ObservedUntil)
	// Late payments lengthen over the six months before a default and stop
	// just before it: the last 90 days must stand out by at least 10 days
	// from both the healthy book and the defaulters' own earlier habits.
	if d.beforeDefault < d.nonDefaulters+10 {
		t.Errorf("days beyond terms in the 90 days before default = %.1f; want at least %.1f (non-defaulters' %.1f + 10)",
			d.beforeDefault, d.nonDefaulters+10, d.nonDefaulters)
	}
	if d.beforeDefault < d.longBefore+10 {
		t.Errorf("days beyond terms in the 90 days before default = %.1f; want at least %.1f (a year before: %.1f + 10)",
			d.beforeDefault, d.longBefore+10, d.longBefore)
	}
	// Already 90 to 180 days before, paid items are later than a year before.
	if d.paidMidWindow < d.longBefore+3 {
		t.Errorf("days beyond terms of paid items due 90-180 days before default = %.1f; want at least %.1f (a year before: %.1f + 3)",
			d.paidMidWindow, d.longBefore+3, d.longBefore)
	}
}

func TestTruthRanksDefaults(t *testing.T) {
	b, _ := sharedBook(t)
	// The middle of the book, so that the 12 months after it are observed.
	if got := truthAUC(b, 11); got < 0.75 {
		t.Errorf("AUC of pd_12m at 2023-12-31 = %.3f; want above 0.75", got)
	}
}

func TestTruthRows(t *testing.T) {
	b, stats := sharedBook(t)
	defaults := defaultDates(b)
	rows := map[string]int{}
	for i, r := range b.truth {
		if i > 0 {
			p := b.truth[i-1]
			if r.CustomerID < p.CustomerID || r.CustomerID == p.CustomerID && r.MonthEnd <= p.MonthEnd {
				t.Fatalf("truth row %d (%s, %d) after (%s, %d); want sorted by customer and month end", i, r.CustomerID, r.MonthEnd, p.CustomerID, p.MonthEnd)
			}
		}
		me := datasets.Date(r.MonthEnd)
		if me.MonthEnd() != me || me > stats.ObservedUntil {
			t.Fatalf("truth row %d: month_end %s; want a month end up to %s", i, me, stats.ObservedUntil)
		}
		if d, ok := defaults[r.CustomerID]; ok && me >= d {
			t.Fatalf("truth row %d: %s at %s; want none on or after its default on %s", i, r.CustomerID, me, d)
		}
		if !(r.Hazard1M > 0 && r.Hazard1M <= r.PD12M && r.PD12M < 1) {
			t.Fatalf("truth row %d: hazard_1m %v, pd_12m %v; want 0 < hazard_1m <= pd_12m < 1", i, r.Hazard1M, r.PD12M)
		}
		rows[r.CustomerID]++
	}
	for _, c := range b.customers {
		want := 24
		if d, ok := defaults[c.CustomerID]; ok {
			want = monthIndex(defaultStart, d)
		}
		if rows[c.CustomerID] != want {
			t.Fatalf("customer %s has %d truth rows; want %d", c.CustomerID, rows[c.CustomerID], want)
		}
	}
}
