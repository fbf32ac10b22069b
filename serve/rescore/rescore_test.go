package rescore

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/grade"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/serve/limit"
)

// sameRow compares rows exactly, a NaN limit or score equal to NaN.
func sameRow(a, b Row) bool {
	eq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	// The file holds the limit in cents, DECIMAL(18,2).
	return a.CustomerID == b.CustomerID && a.AsOf == b.AsOf && a.PD == b.PD && a.Grade == b.Grade &&
		eq(a.Score, b.Score) && eq(math.Round(100*a.RecommendedLimit), math.Round(100*b.RecommendedLimit)) &&
		a.Currency == b.Currency && a.Reasons == b.Reasons && a.ReasonTexts == b.ReasonTexts && a.ModelVersion == b.ModelVersion
}

func TestRunScoresEveryCustomerWithHistory(t *testing.T) {
	f := testFixture(t)
	s := f.scorer
	for _, asOf := range []datasets.Date{datasets.YMD(2023, 3, 1), datasets.YMD(2025, 1, 1)} {
		t.Run(asOf.String(), func(t *testing.T) {
			sum, rows := runAll(t, f, DefaultConfig(asOf))
			var want []*datasets.History
			for _, h := range f.hs {
				if hasHistoryBefore(h, asOf) {
					want = append(want, h)
				}
			}
			if len(rows) != len(want) {
				t.Fatalf("got %d rows; want %d, one per customer with history before %s", len(rows), len(want), asOf)
			}
			if sum.Rows != int64(len(rows)) || sum.Customers != int64(len(f.hs)) || sum.Skipped[SkipNoHistory] != int64(len(f.hs)-len(want)) {
				t.Errorf("summary: %d rows, %d customers, %d skipped; want %d, %d, %d",
					sum.Rows, sum.Customers, sum.Skipped[SkipNoHistory], len(rows), len(f.hs), len(f.hs)-len(want))
			}
			var limits float64
			var gradeRows int64
			for i, h := range want {
				row := rows[i]
				limits += row.RecommendedLimit
				if row.CustomerID != h.CustomerID || row.AsOf != asOf || row.ModelVersion != f.version {
					t.Fatalf("row %d: %s as of %s by %s; want %s as of %s by %s", i, row.CustomerID, row.AsOf, row.ModelVersion, h.CustomerID, asOf, f.version)
				}
				r, err := s.Score(h, asOf, Reasons, nil)
				if err != nil {
					t.Fatal(err)
				}
				var reasons [Reasons]string
				for k, x := range r.Reasons {
					reasons[k] = x.Feature
				}
				if row.PD != r.PD || row.Grade != r.Grade || row.Score != r.Score || row.Reasons != reasons {
					t.Errorf("%s: got PD %v grade %d score %v reasons %q; Scorer.Score gives %v %d %v %q",
						h.CustomerID, row.PD, row.Grade, row.Score, row.Reasons, r.PD, r.Grade, r.Score, reasons)
				}
				// The book has a defaults table: training took defaults from it alone.
				defaulted := h.FirstDefault() != datasets.NoDate && h.FirstDefault() <= asOf
				if defaulted != (row.Grade == grade.DefaultGrade) || (defaulted && (row.PD != 1 || row.RecommendedLimit != 0)) {
					t.Errorf("%s: first default %s, as of %s: grade %d, PD %v, limit %v", h.CustomerID, h.FirstDefault(), asOf, row.Grade, row.PD, row.RecommendedLimit)
				}
				if cap := limit.DefaultPolicy().Grades[row.Grade].Cap; !defaulted && !(row.RecommendedLimit >= 0 && row.RecommendedLimit <= cap) {
					t.Errorf("%s: limit %v outside [0, grade %d cap %v]", h.CustomerID, row.RecommendedLimit, row.Grade, cap)
				}
			}
			for _, g := range sum.Grades {
				gradeRows += g.Rows
			}
			if gradeRows != sum.Rows || sum.Limits != limits || sum.LimitErrors != 0 {
				t.Errorf("grades total %d rows, limits %v, %d limit errors; want %d, %v, 0", gradeRows, sum.Limits, sum.LimitErrors, sum.Rows, limits)
			}
			if math.IsNaN(sum.PSI) || len(sum.PSIBins) == 0 {
				t.Errorf("PSI %v with %d bins; want it against the stored reference", sum.PSI, len(sum.PSIBins))
			}
		})
	}
}

func TestRunIsTheSameForAnyWorkerCount(t *testing.T) {
	f := testFixture(t)
	cfg := DefaultConfig(datasets.YMD(2024, 6, 1))
	_, want := runAll(t, f, cfg)
	for _, workers := range []int{1, 3} {
		cfg.Workers = workers
		_, got := runAll(t, f, cfg)
		if !slices.EqualFunc(got, want, sameRow) {
			t.Errorf("%d workers: rows differ from the default worker count", workers)
		}
	}
}

func TestRunRefusesWithoutDate(t *testing.T) {
	f := testFixture(t)
	_, err := Run(context.Background(), f.book, f.scorer, DefaultConfig(datasets.NoDate), &collect{})
	if err == nil {
		t.Error("no as-of date on a book without observations: got no error")
	}
}

func TestSkipReason(t *testing.T) {
	asOf := datasets.YMD(2024, 1, 1)
	invoices := []datasets.Invoice{{IssueDate: asOf - 10}}
	later := []datasets.Invoice{{IssueDate: asOf}}
	statements := []datasets.Statement{{PeriodEnd: asOf - 1}}
	tests := []struct {
		name            string
		invoices, stmts bool // what the model reads
		h               datasets.History
		want            string
	}{
		{"nothing", true, true, datasets.History{}, SkipNoHistory},
		{"only attributes", true, true, datasets.History{Customer: &datasets.Customer{}}, SkipNoHistory},
		{"invoice on as_of", true, true, datasets.History{Invoices: later}, SkipNoHistory},
		{"invoice before", true, true, datasets.History{Invoices: invoices}, ""},
		{"statements for an invoice model", true, false, datasets.History{Statements: statements}, SkipOtherKind},
		{"invoices for a statement model", false, true, datasets.History{Invoices: invoices}, SkipOtherKind},
		{"both for a statement model", false, true, datasets.History{Invoices: invoices, Statements: statements}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := &features.Set{Config: features.Config{SkipInvoices: !tt.invoices, SkipStatements: !tt.stmts}}
			sc := &scorer{s: &scoring.Scorer{Set: set}}
			if got := sc.skipReason(&tt.h, asOf); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestFileCancelledLeavesNothing(t *testing.T) {
	f := testFixture(t)
	for _, name := range []string{"scores.parquet", "scores.csv"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := DefaultConfig(datasets.YMD(2024, 6, 1))
			cfg.Workers = 1
			seen := int64(0)
			cfg.Progress = func(n int64) {
				seen = n
				cancel() // after the first chunk is written
			}
			sum, err := File(ctx, f.book, f.scorer, cfg, path)
			if !errors.Is(err, context.Canceled) || sum != nil {
				t.Fatalf("got %v, summary %v; want context.Canceled and none", err, sum)
			}
			if seen == 0 || seen >= int64(len(f.hs)) {
				t.Errorf("cancelled after %d of %d customers; want mid-way", seen, len(f.hs))
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 0 {
				t.Errorf("cancelled run left %v in %s; want nothing", entries, dir)
			}
		})
	}
}

func TestFileWritesOnlyWhenComplete(t *testing.T) {
	f := testFixture(t)
	path := filepath.Join(t.TempDir(), "scores.csv")
	cfg := DefaultConfig(datasets.YMD(2024, 6, 1))
	cfg.Progress = func(int64) {
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists before the run ends (stat: %v)", path, err)
		}
	}
	if _, err := File(context.Background(), f.book, f.scorer, cfg, path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("%s has mode %v; want 0644, readable by all", path, st.Mode().Perm())
	}
}
