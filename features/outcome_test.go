package features

import (
	"slices"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

func TestParseHorizon(t *testing.T) {
	tests := []struct {
		in   string
		want Horizon
		str  string
	}{
		{"12mo", Horizon{12, Months}, "12mo"},
		{"6m", Horizon{6, Months}, "6mo"},
		{"90d", Horizon{90, Days}, "90d"},
		{"1y", Horizon{1, Years}, "1y"},
		{"2w", Horizon{2, Weeks}, "2w"},
		{" 3 Months ", Horizon{3, Months}, "3mo"},
		{"1MO", Horizon{1, Months}, "1mo"},
		{"36500d", Horizon{36500, Days}, "36500d"},
	}
	for _, tt := range tests {
		got, err := ParseHorizon(tt.in)
		if err != nil || got != tt.want || got.String() != tt.str {
			t.Errorf("ParseHorizon(%q) = %+v (%q), %v; want %+v (%q)", tt.in, got, got.String(), err, tt.want, tt.str)
		}
	}
	bad := []struct{ in, want string }{
		{"", "want a positive whole number"},
		{"mo", "want a positive whole number"},
		{"12", "missing unit"},
		{"12q", `unknown unit "q"`},
		{"12 mos", `unknown unit "mos"`},
		{"0d", "positive whole number"},
		{"-3mo", "want a positive whole number"},
		{"1.5y", `unknown unit ".5y"`},
		{"101y", "longer than a century"},
		{"99999999999999999999d", "positive whole number"},
	}
	for _, tt := range bad {
		_, err := ParseHorizon(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseHorizon(%q): got error %v; want one containing %q", tt.in, err, tt.want)
		}
	}
}

func TestHorizonAfterBefore(t *testing.T) {
	tests := []struct {
		h             Horizon
		d, after, bef datasets.Date
	}{
		{Horizon{12, Months}, ymd(2024, 2, 29), ymd(2025, 2, 28), ymd(2023, 2, 28)},
		{Horizon{1, Months}, ymd(2024, 1, 31), ymd(2024, 2, 29), ymd(2023, 12, 31)},
		{Horizon{1, Years}, ymd(2024, 3, 1), ymd(2025, 3, 1), ymd(2023, 3, 1)},
		{Horizon{90, Days}, ymd(2024, 1, 1), ymd(2024, 3, 31), ymd(2023, 10, 3)},
		{Horizon{2, Weeks}, ymd(2024, 1, 1), ymd(2024, 1, 15), ymd(2023, 12, 18)},
	}
	for _, tt := range tests {
		if got := tt.h.After(tt.d); got != tt.after {
			t.Errorf("%v.After(%s) = %s; want %s", tt.h, tt.d, got, tt.after)
		}
		if got := tt.h.Before(tt.d); got != tt.bef {
			t.Errorf("%v.Before(%s) = %s; want %s", tt.h, tt.d, got, tt.bef)
		}
	}
	// After(Before(d)) never passes d, which DefaultPlan relies on.
	for d := ymd(2023, 1, 1); d < ymd(2025, 1, 1); d++ {
		for _, h := range []Horizon{{1, Months}, {12, Months}, {1, Years}, {90, Days}} {
			if got := h.After(h.Before(d)); got > d {
				t.Fatalf("%v.After(%v.Before(%s)) = %s, after it", h, h, d, got)
			}
		}
	}
}

func TestHorizonText(t *testing.T) {
	var h Horizon
	if err := h.UnmarshalText([]byte("18mo")); err != nil || h != (Horizon{18, Months}) {
		t.Fatalf("UnmarshalText(18mo) = %+v, %v", h, err)
	}
	b, err := h.MarshalText()
	if err != nil || string(b) != "18mo" {
		t.Errorf("MarshalText = %q, %v; want 18mo", b, err)
	}
	if _, err := (Horizon{}).MarshalText(); err == nil {
		t.Errorf("MarshalText of the zero horizon: got no error")
	}
	if DefaultHorizon().String() != "12mo" {
		t.Errorf("DefaultHorizon = %v; want 12mo", DefaultHorizon())
	}
}

func TestLabel(t *testing.T) {
	asOf := ymd(2024, 1, 1)
	h := Horizon{12, Months} // window (2024-01-01, 2025-01-01]
	no := datasets.NoDate
	tests := []struct {
		name          string
		def, observed datasets.Date
		y             int
		status        LabelStatus
	}{
		{"no default, window observed", no, ymd(2025, 6, 30), 0, Labelled},
		{"no default, window observed to its last day", no, ymd(2025, 1, 1), 0, Labelled},
		{"no default, window observed but for its last day", no, ymd(2024, 12, 31), 0, Censored},
		{"no default, observed for ever", no, no, 0, Labelled},
		{"default on the window's first day", ymd(2024, 1, 2), ymd(2025, 6, 30), 1, Labelled},
		{"default on the window's last day", ymd(2025, 1, 1), ymd(2025, 6, 30), 1, Labelled},
		{"default the day after the window", ymd(2025, 1, 2), ymd(2025, 6, 30), 0, Labelled},
		{"default in a window not fully observed", ymd(2024, 6, 1), ymd(2024, 9, 30), 1, Labelled},
		{"default after observed_until, in the window", ymd(2024, 11, 1), ymd(2024, 9, 30), 0, Censored},
		{"default after a window not fully observed", ymd(2025, 3, 1), ymd(2024, 9, 30), 0, Censored},
		{"default on as_of", asOf, ymd(2025, 6, 30), 0, AlreadyDefaulted},
		{"default before as_of", ymd(2023, 5, 1), ymd(2025, 6, 30), 0, AlreadyDefaulted},
		{"default before as_of, observed for ever", ymd(2023, 5, 1), no, 0, AlreadyDefaulted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y, status := Label(tt.def, asOf, h, tt.observed)
			if y != tt.y || status != tt.status {
				t.Errorf("Label(%s, %s, %v, %s) = %d, %v; want %d, %v", tt.def, asOf, h, tt.observed, y, status, tt.y, tt.status)
			}
		})
	}
}

func TestLabelPanicsWithoutHorizon(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("Label with the zero horizon did not panic")
		}
	}()
	Label(datasets.NoDate, ymd(2024, 1, 1), Horizon{}, datasets.NoDate)
}

func TestDefaultDate(t *testing.T) {
	due := ymd(2024, 1, 31)
	at := func(n int) datasets.Date { return due + datasets.Date(n) }
	inv := func(paid datasets.Date, paidAmount datasets.Amount) datasets.Invoice {
		return datasets.Invoice{IssueDate: ymd(2024, 1, 1), DueDate: due, Amount: amt(100), PaidDate: paid, PaidAmount: paidAmount}
	}
	st := func(end datasets.Date, dpd int32) datasets.Statement {
		return datasets.Statement{PeriodEnd: end, DaysPastDue: dpd}
	}
	no, full := datasets.NoDate, datasets.NoAmount
	tests := []struct {
		name      string
		h         datasets.History
		threshold int
		derived   datasets.Date
		first     datasets.Date
	}{
		{"paid the day before the threshold", datasets.History{Invoices: []datasets.Invoice{inv(at(89), full)}}, 90, no, no},
		{"paid on the threshold day", datasets.History{Invoices: []datasets.Invoice{inv(at(90), full)}}, 90, at(90), at(90)},
		{"paid late", datasets.History{Invoices: []datasets.Invoice{inv(at(200), amt(100))}}, 90, at(90), at(90)},
		{"open", datasets.History{Invoices: []datasets.Invoice{inv(no, amt(50))}}, 90, at(90), at(90)},
		{"settled short in time", datasets.History{Invoices: []datasets.Invoice{inv(at(10), amt(99))}}, 90, at(90), at(90)},
		{"lower threshold", datasets.History{Invoices: []datasets.Invoice{inv(at(45), full)}}, 30, at(30), at(30)},
		{"statement at the threshold", datasets.History{Statements: []datasets.Statement{st(ymd(2024, 3, 31), 60), st(ymd(2024, 4, 30), 90), st(ymd(2024, 5, 31), 120)}}, 90, ymd(2024, 4, 30), ymd(2024, 4, 30)},
		{"statement below the threshold", datasets.History{Statements: []datasets.Statement{st(ymd(2024, 3, 31), 89), st(ymd(2024, 4, 30), datasets.UnknownDaysPastDue)}}, 90, no, no},
		{"earliest of statements and invoices", datasets.History{
			Invoices:   []datasets.Invoice{inv(no, full)},
			Statements: []datasets.Statement{st(ymd(2024, 3, 31), 90)},
		}, 90, ymd(2024, 3, 31), ymd(2024, 3, 31)},
		{"recorded default first", datasets.History{
			Invoices: []datasets.Invoice{inv(no, full)},
			Defaults: []datasets.Default{{DefaultDate: ymd(2024, 6, 1)}, {DefaultDate: ymd(2024, 2, 1)}},
		}, 90, at(90), ymd(2024, 2, 1)},
		{"derived default first", datasets.History{
			Invoices: []datasets.Invoice{inv(no, full)},
			Defaults: []datasets.Default{{DefaultDate: ymd(2024, 12, 1)}},
		}, 90, at(90), at(90)},
		{"recorded only", datasets.History{
			Invoices: []datasets.Invoice{inv(no, full)},
			Defaults: []datasets.Default{{DefaultDate: ymd(2024, 12, 1)}},
		}, 0, no, ymd(2024, 12, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DerivedDefaultDate(&tt.h, tt.threshold); got != tt.derived {
				t.Errorf("DerivedDefaultDate(threshold %d) = %s; want %s", tt.threshold, got, tt.derived)
			}
			if got := DefaultDate(&tt.h, tt.threshold); got != tt.first {
				t.Errorf("DefaultDate(threshold %d) = %s; want %s", tt.threshold, got, tt.first)
			}
		})
	}
}

// TestDerivedDefaultMatchesAgeing checks the rule against the features: the
// day an invoice defaults, its ageing says it is dpd_threshold days past due.
func TestDerivedDefaultMatchesAgeing(t *testing.T) {
	s := mustSet(t, Config{SkipStatements: true}, datasets.CustomerSchema{}, nil)
	inv := datasets.Invoice{IssueDate: ymd(2024, 1, 1), DueDate: ymd(2024, 1, 31), Amount: amt(100), PaidDate: datasets.NoDate, PaidAmount: datasets.NoAmount}
	h := &datasets.History{Invoices: []datasets.Invoice{inv}}
	d := DerivedDefaultDate(h, 90)
	got := s.Build(h, d, nil)
	if dpd := got[s.Index("inv_max_dpd")]; dpd != 90 {
		t.Errorf("inv_max_dpd on the default date = %v; want 90", dpd)
	}
}

func TestPlanDates(t *testing.T) {
	tests := []struct {
		name string
		p    Plan
		want []datasets.Date
	}{
		{"monthly from mid-month", Plan{ymd(2024, 1, 15), ymd(2024, 4, 1), 0}, []datasets.Date{ymd(2024, 2, 1), ymd(2024, 3, 1), ymd(2024, 4, 1)}},
		{"from a first of month", Plan{ymd(2024, 1, 1), ymd(2024, 2, 29), 1}, []datasets.Date{ymd(2024, 1, 1), ymd(2024, 2, 1)}},
		{"quarterly", Plan{ymd(2023, 12, 31), ymd(2024, 12, 31), 3}, []datasets.Date{ymd(2024, 1, 1), ymd(2024, 4, 1), ymd(2024, 7, 1), ymd(2024, 10, 1)}},
		{"empty", Plan{ymd(2024, 1, 2), ymd(2024, 1, 31), 1}, nil},
		{"end before start", Plan{ymd(2024, 5, 1), ymd(2024, 1, 1), 1}, nil},
		{"no end", Plan{ymd(2024, 5, 1), datasets.NoDate, 1}, nil},
	}
	for _, tt := range tests {
		if got := tt.p.Dates(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %+v.Dates() = %v; want %v", tt.name, tt.p, got, tt.want)
		}
	}
}

func TestDefaultPlan(t *testing.T) {
	tests := []struct {
		name            string
		first, observed datasets.Date
		h               Horizon
		wantFirst       datasets.Date
		wantLast        datasets.Date
		wantN           int
	}{
		// Six months after 2021-03-10 is 2021-09-10; 12 months before
		// 2024-06-30 is 2023-06-30.
		{"12mo", ymd(2021, 3, 10), ymd(2024, 6, 30), Horizon{12, Months}, ymd(2021, 10, 1), ymd(2023, 6, 1), 21},
		// The window of 2023-07-01 ends on 2024-07-01, observed.
		{"observed to a first", ymd(2021, 3, 1), ymd(2024, 7, 1), Horizon{12, Months}, ymd(2021, 9, 1), ymd(2023, 7, 1), 23},
		{"1mo", ymd(2005, 4, 30), ymd(2005, 11, 1), Horizon{1, Months}, ymd(2005, 11, 1), ymd(2005, 11, 1), 0},
		{"90d", ymd(2020, 1, 1), ymd(2021, 1, 1), Horizon{90, Days}, ymd(2020, 7, 1), ymd(2020, 10, 1), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultPlan(tt.first, tt.observed, tt.h)
			dates := p.Dates()
			if len(dates) != tt.wantN {
				t.Fatalf("%d dates %v; want %d", len(dates), dates, tt.wantN)
			}
			if tt.wantN == 0 {
				return
			}
			if dates[0] != tt.wantFirst || dates[len(dates)-1] != tt.wantLast {
				t.Errorf("dates %s … %s; want %s … %s", dates[0], dates[len(dates)-1], tt.wantFirst, tt.wantLast)
			}
			for _, d := range dates {
				if _, status := Label(datasets.NoDate, d, tt.h, tt.observed); status != Labelled {
					t.Errorf("as of %s the window is %v; want every planned window observed", d, status)
				}
			}
			if next := dates[len(dates)-1].AddMonths(1); tt.h.After(next) <= tt.observed {
				t.Errorf("the plan stops at %s, but %s is observed too", dates[len(dates)-1], next)
			}
		})
	}
}

func TestObservationDates(t *testing.T) {
	plan := Plan{ymd(2024, 1, 1), ymd(2024, 6, 1), 1}
	tests := []struct {
		name string
		h    datasets.History
		want []datasets.Date
	}{
		{"own observations", datasets.History{
			Observations: []datasets.Date{ymd(2023, 5, 5)},
			Statements:   []datasets.Statement{{PeriodEnd: ymd(2024, 1, 31)}},
		}, []datasets.Date{ymd(2023, 5, 5)}},
		{"from the first statement", datasets.History{Statements: []datasets.Statement{{PeriodEnd: ymd(2024, 3, 31)}, {PeriodEnd: ymd(2024, 2, 29)}}},
			[]datasets.Date{ymd(2024, 3, 1), ymd(2024, 4, 1), ymd(2024, 5, 1), ymd(2024, 6, 1)}},
		{"an invoice issued on a planned date", datasets.History{Invoices: []datasets.Invoice{{IssueDate: ymd(2024, 5, 1)}}},
			[]datasets.Date{ymd(2024, 6, 1)}},
		{"history after the plan", datasets.History{Invoices: []datasets.Invoice{{IssueDate: ymd(2024, 6, 1)}}}, []datasets.Date{}},
		{"attributes only", datasets.History{Customer: &datasets.Customer{}}, nil},
	}
	for _, tt := range tests {
		if got := ObservationDates(&tt.h, plan); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v; want %v", tt.name, got, tt.want)
		}
	}
}
