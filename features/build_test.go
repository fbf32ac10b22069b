package features

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets"
)

func ymd(y int, m time.Month, d int) datasets.Date { return datasets.YMD(y, m, d) }

func amt(units float64) datasets.Amount {
	return datasets.Amount(math.Round(units * datasets.AmountScale))
}

func days(from, to datasets.Date) float64 { return float64(to - from) }

// nan marks an expected NaN.
var nan = math.NaN()

// closeTo compares with a relative tolerance of 1e-12: the expectations are
// written as the arithmetic Build does, possibly in another order.
func closeTo(got, want float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	return math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want))
}

func mustSet(t testing.TB, cfg Config, schema datasets.CustomerSchema, levels *LevelCounter) *Set {
	t.Helper()
	s, err := NewSet(cfg, schema, levels)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkFeatures compares the named features of got with want.
func checkFeatures(t *testing.T, s *Set, got []float64, want map[string]float64) {
	t.Helper()
	if len(got) != s.Len() {
		t.Fatalf("got %d values; want %d", len(got), s.Len())
	}
	for name, w := range want {
		i := s.Index(name)
		if i < 0 {
			t.Errorf("no feature %q", name)
			continue
		}
		if !closeTo(got[i], w) {
			t.Errorf("%s = %v; want %v", name, got[i], w)
		}
	}
}

// handInvoices is a ledger whose features as of 2024-07-01 are worked out by
// hand in TestInvoiceFeatures.
func handInvoices() []datasets.Invoice {
	no := datasets.NoDate
	return []datasets.Invoice{
		// F: paid 20 days late; disputed; only in the 24-month window.
		{InvoiceID: "F", IssueDate: ymd(2023, 3, 1), DueDate: ymd(2023, 3, 31), Amount: amt(4000), PaidDate: ymd(2023, 4, 20), PaidAmount: datasets.NoAmount, Disputed: true},
		// A: paid on the due date.
		{InvoiceID: "A", IssueDate: ymd(2024, 1, 10), DueDate: ymd(2024, 2, 9), Amount: amt(1000), PaidDate: ymd(2024, 2, 9), PaidAmount: amt(1000)},
		// B: paid 45 days late and short: 1000 stays owed, 92 days past due.
		{InvoiceID: "B", IssueDate: ymd(2024, 3, 1), DueDate: ymd(2024, 3, 31), Amount: amt(3000), PaidDate: ymd(2024, 5, 15), PaidAmount: amt(2000)},
		// C: open, 31 days past due; its undated partial payment is not used.
		{InvoiceID: "C", IssueDate: ymd(2024, 5, 1), DueDate: ymd(2024, 5, 31), Amount: amt(500), PaidDate: no, PaidAmount: amt(100)},
		// D: paid on as_of, so open as of it, and not yet due.
		{InvoiceID: "D", IssueDate: ymd(2024, 6, 10), DueDate: ymd(2024, 7, 10), Amount: amt(2000), PaidDate: ymd(2024, 7, 1), PaidAmount: datasets.NoAmount},
		// E: issued on as_of: unknown.
		{InvoiceID: "E", IssueDate: ymd(2024, 7, 1), DueDate: ymd(2024, 7, 31), Amount: amt(9999), PaidDate: no, PaidAmount: datasets.NoAmount, Disputed: true},
	}
}

func TestInvoiceFeatures(t *testing.T) {
	s := mustSet(t, Config{SkipStatements: true}, datasets.CustomerSchema{}, nil)
	asOf := ymd(2024, 7, 1)
	got := s.Build(&datasets.History{Invoices: handInvoices()}, asOf, nil)

	paydexF := 70 - 5.0*10/7 // 20 days late: 5 of the 7 days from 70 (15 days) to 60 (22 days)
	paydexB := 50 - 15.0*10/30
	checkFeatures(t, s, got, map[string]float64{
		// Issued since 2024-04-01: C and D.
		"inv_count_3m":  2,
		"inv_amount_3m": 2500,
		// Paid since 2024-04-01: B only.
		"inv_paid_count_3m":    1,
		"inv_dbt_wavg_3m":      45,
		"inv_dbt_max_3m":       45,
		"inv_late_share_3m":    1,
		"inv_late30_share_3m":  1,
		"inv_paydex_3m":        paydexB,
		"inv_partial_share_3m": 1,
		"inv_dispute_share_3m": 0,
		// Since 2024-01-01: issued A, B, C, D; paid A and B.
		"inv_count_6m":         4,
		"inv_amount_6m":        6500,
		"inv_paid_count_6m":    2,
		"inv_dbt_wavg_6m":      (1000*0 + 3000*45) / 4000.0,
		"inv_dbt_max_6m":       45,
		"inv_late_share_6m":    0.5,
		"inv_late30_share_6m":  0.5,
		"inv_paydex_6m":        (1000*80 + 3000*paydexB) / 4000,
		"inv_partial_share_6m": 0.5,
		// Since 2023-07-01 F is neither issued nor paid.
		"inv_count_12m":         4,
		"inv_dispute_share_12m": 0,
		// Since 2022-07-01 all but E.
		"inv_count_24m":         5,
		"inv_amount_24m":        10500,
		"inv_paid_count_24m":    3,
		"inv_dbt_wavg_24m":      (1000*0 + 3000*45 + 4000*20) / 8000.0,
		"inv_late_share_24m":    2.0 / 3,
		"inv_late30_share_24m":  1.0 / 3,
		"inv_paydex_24m":        (1000*80 + 3000*paydexB + 4000*paydexF) / 8000,
		"inv_dispute_share_24m": 0.2,

		"inv_history_months":  days(ymd(2023, 3, 1), asOf) / daysPerMonth,
		"inv_open_count":      3, // B's rest, C, D
		"inv_open_balance":    3500,
		"inv_balance_current": 2000, // D
		"inv_balance_1_30":    0,
		"inv_balance_31_60":   500, // C, 31 days
		"inv_balance_61_90":   0,
		"inv_balance_90p":     1000, // B's rest, 92 days
		"inv_overdue_balance": 1500,
		"inv_overdue_share":   1500.0 / 3500,
		"inv_max_dpd":         92,
		// B, paid late on 2024-05-15, is the last late payment.
		"inv_months_since_late": days(ymd(2024, 5, 15), asOf) / daysPerMonth,
		// Paid in the last 3 months: B at 45; in the 9 before: A at 0.
		"inv_dbt_trend": 45,
		// 3500 open over 2500 issued in the 91 days since 2024-04-01.
		"inv_dso": 3500.0 / 2500 * 91,
		// 2500 issued in the last 3 months, 4000 (A, B) in the 3 before.
		"inv_growth_3m": (2500.0 - 4000) / (2500 + 4000),
	})
}

// handStatements are monthly statements worked out in TestStatementFeatures.
func handStatements() []datasets.Statement {
	st := func(end datasets.Date, dpd int32, status string, balance float64, payment float64) datasets.Statement {
		return datasets.Statement{PeriodEnd: end, DaysPastDue: dpd, Status: status, Balance: amt(balance), CreditLimit: amt(1000), Payment: amt(payment)}
	}
	return []datasets.Statement{
		st(ymd(2024, 2, 29), 0, "0", 100, 10),
		st(ymd(2024, 3, 31), 30, "1", 200, 20),
		st(ymd(2024, 4, 30), 0, "C", 300, 30),
		st(ymd(2024, 5, 31), 60, "2", 400, 40),
		st(ymd(2024, 6, 30), datasets.UnknownDaysPastDue, "X", 500, 50),
		st(ymd(2024, 7, 31), 90, "3", 900, 90), // after as_of
	}
}

func TestStatementFeatures(t *testing.T) {
	h := &datasets.History{Statements: handStatements()}
	levels := NewLevelCounter(datasets.CustomerSchema{})
	levels.AddStatements(h.Statements[2:3]) // "C" becomes a level, "X" does not
	s := mustSet(t, Config{SkipInvoices: true, StatementWindows: []int{6, 3}}, datasets.CustomerSchema{}, levels)
	if !slices.Equal(s.StatusLevels, []string{"C"}) {
		t.Fatalf("status levels %q; want [C]", s.StatusLevels)
	}
	asOf := ymd(2024, 7, 1)
	got := s.Build(h, asOf, nil)
	checkFeatures(t, s, got, map[string]float64{
		"st_count":               5,
		"st_months_since_latest": 1 / daysPerMonth,
		"st_dpd":                 nan, // unknown in the latest
		"st_status_num":          nan, // "X"
		"st_status=C":            0,
		"st_status=other":        1,
		"st_balance":             500,
		"st_payment":             50,
		"st_credit_limit":        1000,
		"st_utilisation":         0.5,
		"st_util_trend":          0.5 - (0.4+0.3+0.2)/3,
		"st_pay_ratio":           50.0 / 400,
		"st_pay_ratio_mean3":     (50.0/400 + 40.0/300 + 30.0/200) / 3,
		// The last delinquent statement ended 2024-05-31.
		"st_months_since_delinquent": 31 / daysPerMonth,
		// The 3 latest: June (unknown), May (60), April (0, "C").
		"st_dpd_max_3p":         60,
		"st_dpd_mean_3p":        30,
		"st_delinquent_3p":      1,
		"st_status_num_mean_3p": 2,
		"st_util_mean_3p":       0.4,
		"st_balance_mean_3p":    400,
		"st_payment_mean_3p":    40,
		// All five.
		"st_dpd_max_6p":         60,
		"st_dpd_mean_6p":        90.0 / 4,
		"st_delinquent_6p":      2,
		"st_status_num_mean_6p": 1, // 0, 1, 2
		"st_util_mean_6p":       0.3,
		"st_balance_mean_6p":    300,
		"st_payment_mean_6p":    30,
		"st_n_current_6p":       2,
		"st_n_dpd1_29_6p":       0,
		"st_n_dpd30_59_6p":      1,
		"st_n_dpd60_89_6p":      1,
		"st_n_dpd90p_6p":        0,
		"st_n_dpd_unknown_6p":   1,
	})

	// Row order does not matter.
	shuffled := cloneHistory(h)
	slices.Reverse(shuffled.Statements)
	if again := s.Build(shuffled, asOf, nil); !sameBits(got, again) {
		t.Errorf("reversed statements changed the features:\n%v\n%v", got, again)
	}
}

func TestCustomerFeatures(t *testing.T) {
	hs := []*datasets.History{}
	for i, ind := range []string{"retail", "retail", "retail", "mining", "mining", "transport", ""} {
		hs = append(hs, &datasets.History{Customer: &datasets.Customer{
			Numeric:     []float64{float64(i), nan},
			Categorical: []string{ind, "DE"},
		}})
	}
	hs = append(hs, &datasets.History{}) // no customers row: not counted
	// transport is 1 in 7 customers rows, under the 0.2 floor.
	s := mustSet(t, Config{SkipInvoices: true, SkipStatements: true, MinLevelShare: 0.2, ExcludeAttributes: []string{"current_limit"}}, testSchema, levelsOf(hs...))
	wantNames := []string{"cust_missing", "cust_annual_revenue",
		"cust_industry=retail", "cust_industry=mining", "cust_industry=other",
		"cust_country=DE", "cust_country=other"}
	if !slices.Equal(s.Names(), wantNames) {
		t.Fatalf("names %q; want %q", s.Names(), wantNames)
	}
	tests := []struct {
		name string
		h    *datasets.History
		want []float64
	}{
		{"level", hs[3], []float64{0, 3, 0, 1, 0, 1, 0}},
		{"rare level", hs[5], []float64{0, 5, 0, 0, 1, 1, 0}},
		{"missing value", hs[6], []float64{0, 6, 0, 0, 0, 1, 0}},
		{"unseen level", &datasets.History{Customer: &datasets.Customer{Numeric: []float64{math.Inf(1), 0}, Categorical: []string{"banking", "FR"}}}, []float64{0, nan, 0, 0, 1, 0, 1}},
		{"no row", hs[7], []float64{1, nan, 0, 0, 0, 0, 0}},
		{"short row", &datasets.History{Customer: &datasets.Customer{}}, []float64{0, nan, 0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Build(tt.h, ymd(2024, 1, 1), nil)
			if !sameValues(got, tt.want) {
				t.Errorf("got %v; want %v", got, tt.want)
			}
		})
	}
}

func sameValues(a, b []float64) bool {
	return slices.EqualFunc(a, b, closeTo)
}

func TestNoHistoryIsNaN(t *testing.T) {
	s := mustSet(t, DefaultConfig(), testSchema, nil)
	asOf := ymd(2024, 7, 1)
	later := &datasets.History{
		Invoices:   handInvoices()[5:], // issued on as_of
		Statements: handStatements()[5:],
	}
	for _, h := range []*datasets.History{nil, {}, later} {
		got := s.Build(h, asOf, nil)
		for i, name := range s.Names() {
			want := nan
			switch {
			case name == "cust_missing":
				want = 1
			case strings.HasPrefix(name, "cust_") && strings.Contains(name, "="):
				want = 0 // no level; the statement status columns are NaN with the rest of their block
			}
			if !closeTo(got[i], want) {
				t.Errorf("%s = %v; want %v", name, got[i], want)
			}
		}
	}
}

func TestBuildIgnoresDst(t *testing.T) {
	s := mustSet(t, DefaultConfig(), testSchema, nil)
	r := rand.New(rand.NewPCG(1, 2))
	h := randomHistory(r)
	asOf := genStart.AddMonths(20)
	want := s.Build(h, asOf, nil)
	dirty := make([]float64, 500)
	for i := range dirty {
		dirty[i] = -7
	}
	got := s.Build(h, asOf, dirty[:3])
	if !sameBits(got, want) {
		t.Errorf("Build into a used slice:\n%v; want\n%v", got, want)
	}
	if &got[0] != &dirty[0] {
		t.Errorf("Build did not reuse dst")
	}
}

func TestNewSetLevels(t *testing.T) {
	c := NewLevelCounter(testSchema)
	for _, ind := range strings.Split("b b b a a a c c d other other other", " ") {
		c.Add(&datasets.Customer{Categorical: []string{ind, ""}})
	}
	c.Add(nil)
	tests := []struct {
		cfg  Config
		want []string
	}{
		{Config{MinLevelShare: 0.01}, []string{"a", "b", "c", "d"}}, // by count, ties by name; "other" is no level
		{Config{MinLevelShare: 0.15}, []string{"a", "b", "c"}},      // d is 1 in 12
		{Config{MinLevelShare: 0.15, MaxLevels: 1}, []string{"a"}},
	}
	for _, tt := range tests {
		s := mustSet(t, tt.cfg, testSchema, c)
		if got := s.Levels["industry"]; !slices.Equal(got, tt.want) {
			t.Errorf("%+v: levels %q; want %q", tt.cfg, got, tt.want)
		}
		if got := s.Levels["country"]; len(got) != 0 {
			t.Errorf("country levels %q; want none (only missing values)", got)
		}
	}
}

func TestNewSetErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown attribute", Config{NumericAttributes: []string{"age"}}, `"age" is not in the customers table`},
		{"wrong kind", Config{NumericAttributes: []string{"industry"}}, `"industry" is not numeric`},
		{"twice", Config{CategoricalAttributes: []string{"country", "country"}}, "given twice"},
		{"window too long", Config{InvoiceWindows: []int{3, 121}}, "out of range"},
		{"window zero", Config{StatementWindows: []int{0}}, "out of range"},
		{"duplicate window", Config{InvoiceWindows: []int{6, 3, 6}}, "given twice"},
		{"too many windows", Config{StatementWindows: []int{1, 2, 3, 4, 5, 6, 7, 8, 9}}, "at most 8"},
		{"share", Config{MinLevelShare: 1.5}, "min_level_share"},
		{"levels", Config{MaxLevels: -1}, "max_levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSet(tt.cfg, testSchema, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v; want one containing %q", err, tt.want)
			}
		})
	}
}

func TestZeroConfigIsDefault(t *testing.T) {
	a := mustSet(t, Config{}, testSchema, nil)
	b := mustSet(t, DefaultConfig(), testSchema, nil)
	if a.Version != b.Version || !slices.Equal(a.Names(), b.Names()) {
		t.Errorf("zero config: version %s, %d names; default: %s, %d names", a.Version, a.Len(), b.Version, b.Len())
	}
	c := mustSet(t, Config{InvoiceWindows: []int{3, 6}}, testSchema, nil)
	if c.Version == b.Version {
		t.Errorf("other windows kept version %s", c.Version)
	}
	if n := b.Len(); n < 80 || n > 150 {
		t.Errorf("default set has %d features; want 80–150", n)
	}
}

func TestSetJSONRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var hs []*datasets.History
	for range 50 {
		hs = append(hs, randomHistory(r))
	}
	s := mustSet(t, DefaultConfig(), testSchema, levelsOf(hs...))
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Set
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Version != s.Version || !slices.Equal(back.Names(), s.Names()) {
		t.Fatalf("decoded version %s with %d names; want %s with %d", back.Version, back.Len(), s.Version, s.Len())
	}
	asOf := genStart.AddMonths(18)
	for _, h := range hs {
		if got, want := back.Build(h, asOf, nil), s.Build(h, asOf, nil); !sameBits(got, want) {
			t.Fatalf("decoded set builds\n%v; want\n%v", got, want)
		}
	}

	// A set whose names this build would not compute must not load.
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["status_levels"] = []string{"renamed"}
	tampered, _ := json.Marshal(m)
	if err := json.Unmarshal(tampered, &back); !errors.Is(err, ErrVersion) {
		t.Errorf("tampered set: got error %v; want ErrVersion", err)
	}
}

func TestForSchema(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	h := randomHistory(r)
	for h.Customer == nil {
		h = randomHistory(r)
	}
	s := mustSet(t, DefaultConfig(), testSchema, levelsOf(h))
	asOf := genStart.AddMonths(30)
	want := s.Build(h, asOf, nil)

	// The same attributes in another order, with an extra column.
	other := datasets.CustomerSchema{
		Numeric:     []string{"employees", "current_limit", "annual_revenue"},
		Categorical: []string{"country", "industry"},
	}
	moved := cloneHistory(h)
	c := h.Customer
	moved.Customer.Numeric = []float64{12, c.Numeric[1], c.Numeric[0]}
	moved.Customer.Categorical = []string{c.Categorical[1], c.Categorical[0]}
	s2, err := s.ForSchema(other)
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Build(moved, asOf, nil); !sameBits(got, want) || s2.Version != s.Version {
		t.Errorf("rebound set builds\n%v; want\n%v", got, want)
	}
	if _, err := s.ForSchema(datasets.CustomerSchema{Numeric: testSchema.Numeric}); err == nil {
		t.Errorf("schema without the categorical attributes: got no error")
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true},
		{"-2", -2, true},
		{" 3 ", 3, true},
		{"+1", 1, true},
		{"0.5", 0.5, true},
		{"C", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"1e3", 0, false},
		{"1.2.3", 0, false},
		{"1234567890123456", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseStatus(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseStatus(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPaydex(t *testing.T) {
	tests := []struct{ dbt, want float64 }{
		{-60, 100}, {-30, 100}, {-25, 95}, {-20, 90}, {-10, 85}, {0, 80}, {15, 70},
		{30, 50}, {45, 45}, {120, 20}, {400, 20},
	}
	for _, tt := range tests {
		if got := Paydex(tt.dbt); !closeTo(got, tt.want) {
			t.Errorf("Paydex(%v) = %v; want %v", tt.dbt, got, tt.want)
		}
	}
	if got := Paydex(nan); !math.IsNaN(got) {
		t.Errorf("Paydex(NaN) = %v; want NaN", got)
	}
	for d := -40.0; d < 130; d += 0.5 {
		if Paydex(d+0.5) > Paydex(d) {
			t.Errorf("Paydex rises from %v to %v days", d, d+0.5)
		}
	}
}
