package synth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

func TestBookInvariants(t *testing.T) {
	b, stats := sharedBook(t)
	cfg := testConfig()
	if stats.Customers != cfg.Customers || len(b.customers) != cfg.Customers {
		t.Errorf("customers: stats %d, rows %d; want %d", stats.Customers, len(b.customers), cfg.Customers)
	}
	if stats.Invoices != len(b.invoices) {
		t.Errorf("Stats.Invoices = %d; want %d (rows written)", stats.Invoices, len(b.invoices))
	}
	if stats.Defaults != len(b.defaults) {
		t.Errorf("Stats.Defaults = %d; want %d (rows written)", stats.Defaults, len(b.defaults))
	}
	if wantParts := 4; stats.Parts != wantParts {
		t.Errorf("Stats.Parts = %d; want %d", stats.Parts, wantParts)
	}
	end := datasets.YMD(2024, 12, 31)
	if stats.ObservedUntil != end {
		t.Errorf("Stats.ObservedUntil = %s; want %s", stats.ObservedUntil, end)
	}
	meta, err := datasets.ReadMeta(filepath.Join(shared.dir, "book"))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Name != "synthetic" || meta.Currency != "EUR" || meta.ObservedUntil != end {
		t.Errorf("book.yaml = %+v; want name synthetic, currency EUR, observed_until %s", meta, end)
	}

	for i, c := range b.customers {
		if want := customerID(i); c.CustomerID != want {
			t.Fatalf("customer row %d is %s; want %s", i, c.CustomerID, want)
		}
		if c.AnnualRevenue == nil || *c.AnnualRevenue <= 0 || c.CurrentLimit == nil || *c.CurrentLimit < 0 || c.Industry == nil || c.Segment == nil {
			t.Fatalf("customer %s: revenue, limit, industry or segment missing or out of range", c.CustomerID)
		}
	}
	defaults := defaultDates(b)
	for i, d := range b.defaults {
		if i > 0 && d.CustomerID <= b.defaults[i-1].CustomerID {
			t.Fatalf("default row %d (%s) after %s; want strictly increasing customer ids", i, d.CustomerID, b.defaults[i-1].CustomerID)
		}
		if dd := datasets.Date(d.DefaultDate); dd < defaultStart || dd > end || d.Reason == nil {
			t.Fatalf("default of %s on %s, reason %v; want a date in the book and a reason", d.CustomerID, dd, d.Reason)
		}
	}

	var partial, disputed, open int
	ids := map[string]bool{}
	for i := range b.invoices {
		inv := &b.invoices[i]
		if i > 0 {
			p := &b.invoices[i-1]
			if inv.CustomerID < p.CustomerID || inv.CustomerID == p.CustomerID && inv.IssueDate < p.IssueDate {
				t.Fatalf("invoice row %d (%s, %d) after (%s, %d); want sorted by customer and issue date", i, inv.CustomerID, inv.IssueDate, p.CustomerID, p.IssueDate)
			}
			if inv.CustomerID != p.CustomerID {
				clear(ids)
			}
		}
		if ids[inv.InvoiceID] {
			t.Fatalf("invoice %s of %s appears twice", inv.InvoiceID, inv.CustomerID)
		}
		ids[inv.InvoiceID] = true
		if inv.Amount <= 0 || inv.DueDate < inv.IssueDate {
			t.Fatalf("invoice %s of %s: amount %d, issued %d, due %d; want amount > 0 and due >= issue", inv.InvoiceID, inv.CustomerID, inv.Amount, inv.IssueDate, inv.DueDate)
		}
		if d, ok := defaults[inv.CustomerID]; ok && datasets.Date(inv.IssueDate) >= d {
			t.Fatalf("invoice %s of %s issued %s; want before its default on %s", inv.InvoiceID, inv.CustomerID, datasets.Date(inv.IssueDate), d)
		}
		switch {
		case inv.PaidDate == nil:
			open++
			if inv.PaidAmount != nil {
				t.Fatalf("open invoice %s of %s has paid_amount %d; want null", inv.InvoiceID, inv.CustomerID, *inv.PaidAmount)
			}
		case *inv.PaidDate < inv.IssueDate || datasets.Date(*inv.PaidDate) > end:
			t.Fatalf("invoice %s of %s paid %s; want between issue and %s", inv.InvoiceID, inv.CustomerID, datasets.Date(*inv.PaidDate), end)
		case inv.PaidAmount == nil || *inv.PaidAmount <= 0 || *inv.PaidAmount > inv.Amount:
			t.Fatalf("invoice %s of %s: paid_amount %v of %d; want in (0, amount]", inv.InvoiceID, inv.CustomerID, inv.PaidAmount, inv.Amount)
		case *inv.PaidAmount < inv.Amount:
			partial++
		}
		if inv.Disputed {
			disputed++
		}
	}
	n := float64(len(b.invoices))
	for _, c := range []struct {
		what     string
		got      int
		min, max float64
	}{
		{"partially paid", partial, 0.01, 0.10},
		{"disputed", disputed, 0.005, 0.05},
		{"open", open, 0.02, 0.15},
	} {
		if share := float64(c.got) / n; share < c.min || share > c.max {
			t.Errorf("share of invoices %s = %.4f; want %.3f to %.3f", c.what, share, c.min, c.max)
		}
	}
	// About two invoices per customer and month keeps a million customers
	// over two years at tens of millions of invoices.
	if perMonth := n / float64(24*cfg.Customers); perMonth < 1.5 || perMonth > 3 {
		t.Errorf("invoices per customer and month = %.2f; want 1.5 to 3", perMonth)
	}
}

func TestSameOutputForAnyWorkers(t *testing.T) {
	gen := func(seed int64, workers int) string {
		t.Helper()
		dir := t.TempDir()
		cfg := Config{Customers: 2000, Months: 24, Seed: seed, CustomersPerPart: 700, Workers: workers}
		if _, err := Generate(context.Background(), cfg, filepath.Join(dir, "book"), filepath.Join(dir, "truth.parquet"), nil); err != nil {
			t.Fatalf("Generate(seed %d, %d workers): %v", seed, workers, err)
		}
		return dir
	}
	one, three, again := gen(7, 1), gen(7, 3), gen(7, 2)
	sameFiles(t, one, three)
	sameFiles(t, one, again)

	other := gen(8, 2)
	a, _ := os.ReadFile(filepath.Join(one, "book", "invoices", "part-00000.parquet"))
	b, _ := os.ReadFile(filepath.Join(other, "book", "invoices", "part-00000.parquet"))
	if string(a) == string(b) {
		t.Errorf("seeds 7 and 8 wrote the same invoices; want different books")
	}
}

func TestCancelLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := Config{Customers: 3000, Months: 12, Seed: 1, CustomersPerPart: 500, Workers: 2}
	calls := 0
	_, err := Generate(ctx, cfg, filepath.Join(dir, "book"), filepath.Join(dir, "truth.parquet"), func(done, total int) {
		calls++
		cancel()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate after cancel: err = %v; want context.Canceled", err)
	}
	if calls == 0 {
		t.Fatalf("progress was never called; the test did not cancel mid-way")
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("%s left behind after cancel", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestProgress(t *testing.T) {
	var got []string
	cfg := Config{Customers: 1100, Months: 3, Seed: 1, CustomersPerPart: 500, Workers: 2}
	_, err := Generate(context.Background(), cfg, t.TempDir(), "", func(done, total int) {
		got = append(got, fmt.Sprintf("%d/%d", done, total))
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "500/1100 1000/1100 1100/1100"; strings.Join(got, " ") != want {
		t.Errorf("progress calls = %q; want %q", strings.Join(got, " "), want)
	}
}

func TestConfigErrors(t *testing.T) {
	ok := Config{Customers: 10, Months: 2}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no customers", func(c *Config) { c.Customers = 0 }, "Customers"},
		{"too many customers", func(c *Config) { c.Customers = 100_000_000 }, "Customers"},
		{"no months", func(c *Config) { c.Months = 0 }, "Months"},
		{"start mid-month", func(c *Config) { c.Start = datasets.YMD(2023, 1, 15) }, "Start"},
		{"negative rate", func(c *Config) { c.AnnualDefaultRate = -0.1 }, "AnnualDefaultRate"},
		{"rate above one half", func(c *Config) { c.AnnualDefaultRate = 0.6 }, "AnnualDefaultRate"},
		{"negative part size", func(c *Config) { c.CustomersPerPart = -1 }, "CustomersPerPart"},
		{"negative workers", func(c *Config) { c.Workers = -2 }, "Workers"},
		{"unknown format", func(c *Config) { c.Format = "xlsx" }, "Format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.change(&cfg)
			dir := filepath.Join(t.TempDir(), "book")
			_, err := Generate(context.Background(), cfg, dir, "", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Generate(%+v): err = %v; want an error naming %s", cfg, err, tt.want)
			}
		})
	}
	t.Run("non-empty directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Generate(context.Background(), ok, dir, "", nil); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("Generate into a non-empty directory: err = %v; want a 'not empty' error", err)
		}
	})
}

func TestCSV(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Customers: 50, Months: 6, Seed: 3, Format: "csv"}
	stats, err := Generate(context.Background(), cfg, dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "invoices", "part-00000.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	lines := 0
	for sc.Scan() {
		if lines == 0 {
			if got, want := sc.Text(), strings.Join(datasets.InvoiceColumns, ","); got != want {
				t.Errorf("header = %q; want %q", got, want)
			}
		}
		lines++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines-1 != stats.Invoices {
		t.Errorf("invoices.csv holds %d rows; want %d", lines-1, stats.Invoices)
	}
	for _, table := range []string{"customers", "defaults"} {
		if _, err := os.Stat(filepath.Join(dir, table, "part-00000.csv")); err != nil {
			t.Errorf("%s part: %v", table, err)
		}
	}
}

func ExampleGenerate() {
	dir, err := os.MkdirTemp("", "synthetic-book-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	cfg := DefaultConfig()
	cfg.Customers = 1000
	cfg.CustomersPerPart = 400
	stats, err := Generate(context.Background(), cfg, filepath.Join(dir, "book"), filepath.Join(dir, "truth.parquet"), nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(stats.Customers, "customers in", stats.Parts, "parts, observed until", stats.ObservedUntil)
	// Output: 1000 customers in 3 parts, observed until 2024-12-31
}

func BenchmarkGenerate(b *testing.B) {
	cfg := Config{Customers: 20_000, Months: 24, Seed: 1, CustomersPerPart: 10_000}
	b.ReportAllocs()
	invoices, runs := 0, 0
	for b.Loop() {
		dir := b.TempDir()
		stats, err := Generate(context.Background(), cfg, filepath.Join(dir, "book"), filepath.Join(dir, "truth.parquet"), nil)
		if err != nil {
			b.Fatal(err)
		}
		invoices += stats.Invoices
		runs++
	}
	b.ReportMetric(float64(invoices)/b.Elapsed().Seconds(), "invoices/s")
	b.ReportMetric(float64(invoices)/float64(runs), "invoices/op")
}
