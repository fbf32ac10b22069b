package rescore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/report/reporttest"
)

func TestMigrationAgainstPreviousOutput(t *testing.T) {
	f := testFixture(t)
	_, before := runAll(t, f, DefaultConfig(datasets.YMD(2023, 6, 1)))
	prevPath := filepath.Join(t.TempDir(), "previous.csv")
	writeRows(t, prevPath, before)
	prev, err := ReadPrevious(prevPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(datasets.YMD(2025, 1, 1))
	cfg.Previous = prev
	sum, now := runAll(t, f, cfg)
	m := sum.Migration
	if m == nil {
		t.Fatal("no migration with a previous output")
	}

	// The same comparison, done by hand.
	old := map[string]Row{}
	for _, r := range before {
		old[r.CustomerID] = r
	}
	var matched, unchanged, up, down, fresh int64
	var rises []Change
	for _, r := range now {
		o, ok := old[r.CustomerID]
		if !ok {
			fresh++
			continue
		}
		matched++
		switch {
		case r.Grade == o.Grade:
			unchanged++
		case r.Grade < o.Grade:
			up++
		default:
			down++
		}
		if r.PD > o.PD && r.Grade != 10 {
			rises = append(rises, Change{CustomerID: r.CustomerID, PreviousAsOf: o.AsOf, AsOf: r.AsOf, PreviousPD: o.PD, PD: r.PD, PreviousGrade: o.Grade, Grade: r.Grade})
		}
	}
	slices.SortFunc(rises, func(a, b Change) int {
		return cmp.Or(cmp.Compare(b.PD-b.PreviousPD, a.PD-a.PreviousPD), cmp.Compare(a.CustomerID, b.CustomerID))
	})
	rises = rises[:min(len(rises), EarlyWarnings)]

	var total, diagonal, below, above int64
	for i, row := range m.Matrix {
		for j, n := range row {
			total += n
			switch {
			case i == j:
				diagonal += n
			case j < i:
				below += n
			default:
				above += n
			}
		}
	}
	if matched == 0 || unchanged == 0 || up == 0 || down == 0 {
		t.Fatalf("the fixture gives %d matched, %d unchanged, %d up, %d down; the test needs all of them", matched, unchanged, up, down)
	}
	checks := []struct {
		name      string
		got, want int64
	}{
		{"matched", m.Matched, matched},
		{"matrix total", total, matched},
		{"matrix diagonal", diagonal, unchanged},
		{"unchanged", m.Unchanged, unchanged},
		{"upgrades", m.Upgrades, up},
		{"matrix below the diagonal", below, up},
		{"downgrades", m.Downgrades, down},
		{"matrix above the diagonal", above, down},
		{"new", m.New, fresh},
		{"gone", m.Gone, int64(len(old)) - matched},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %d; want %d", c.name, c.got, c.want)
		}
	}
	if !slices.Equal(m.Rises, rises) {
		t.Errorf("early warning list of %d differs from the %d largest rises computed by hand", len(m.Rises), len(rises))
	}
}

func TestPreviousKeepsLatestRow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prev.csv")
	csv := "customer_id,as_of,pd,grade\nC1,2024-01-01,0.5,8\nC1,2024-06-01,0.1,5\nC1,2024-03-01,0.9,9\nC2,2024-01-01,0.2,6\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ReadPrevious(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.byID["C1"]; p.Rows != 4 || p.Customers() != 2 || got.grade != 5 || got.pd != 0.1 {
		t.Errorf("%d rows, %d customers, C1 = %+v; want 4, 2 and the row as of 2024-06-01 (grade 5, PD 0.1)", p.Rows, p.Customers(), got)
	}
}

// observationBook links the fixture's tables into a new book and adds an
// observations table: up to three dates for every third customer, one of
// them before any history.
func observationBook(t *testing.T, f *fixture) (*datasets.Book, []datasets.Observation) {
	t.Helper()
	dir := t.TempDir()
	for _, table := range []datasets.Table{datasets.Invoices, datasets.Customers, datasets.Defaults} {
		if err := os.Symlink(filepath.Join(f.book.Dir, string(table)), filepath.Join(dir, string(table))); err != nil {
			t.Fatal(err)
		}
	}
	var obs []datasets.Observation
	for i, h := range f.hs {
		if i%3 != 0 {
			continue
		}
		for k := 0; k <= i%4 && k < 3; k++ {
			obs = append(obs, datasets.Observation{CustomerID: h.CustomerID, AsOf: datasets.YMD(2022+k, time.Month(1+(i+k)%12), 1)})
		}
	}
	w, err := datasets.NewObservationWriter(filepath.Join(dir, "observations.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(obs); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	book, err := datasets.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return book, obs
}

func TestObservationsTableGivesOneRowPerObservation(t *testing.T) {
	f := testFixture(t)
	book, obs := observationBook(t, f)
	s := f.scorer
	var c collect
	sum, err := Run(context.Background(), book, f.scorer, DefaultConfig(datasets.NoDate), &c)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.rows) != len(obs) || sum.Observations != int64(len(obs)) {
		t.Fatalf("got %d rows from %d observations read; want one per observation, %d", len(c.rows), sum.Observations, len(obs))
	}
	byID := map[string]*datasets.History{}
	for _, h := range f.hs {
		byID[h.CustomerID] = h
	}
	for i, o := range obs {
		row := c.rows[i]
		if row.CustomerID != o.CustomerID || row.AsOf != o.AsOf {
			t.Fatalf("row %d is %s as of %s; want %s as of %s", i, row.CustomerID, row.AsOf, o.CustomerID, o.AsOf)
		}
		r, err := s.Score(byID[o.CustomerID], o.AsOf, Reasons, nil)
		if err != nil {
			t.Fatal(err)
		}
		if row.PD != r.PD || row.Grade != r.Grade {
			t.Errorf("%s as of %s: PD %v grade %d; Scorer.Score gives %v %d", o.CustomerID, o.AsOf, row.PD, row.Grade, r.PD, r.Grade)
		}
	}
	withObs := (len(f.hs) + 2) / 3
	if got, want := sum.Skipped[SkipNoObservation], int64(len(f.hs)-withObs); got != want {
		t.Errorf("%d customers skipped as not in the observations table; want %d", got, want)
	}
}

func TestDefaultAsOf(t *testing.T) {
	f := testFixture(t)
	d, scanned, err := DefaultAsOf(context.Background(), f.book, 0)
	if err != nil || scanned || d != f.book.Meta.ObservedUntil+1 {
		t.Errorf("with observed_until %s: got %s, scanned %t, %v; want the next day without reading", f.book.Meta.ObservedUntil, d, scanned, err)
	}
	// Without book.yaml: the day after the latest date.
	dir := t.TempDir()
	for _, table := range []datasets.Table{datasets.Invoices, datasets.Customers, datasets.Defaults} {
		if err := os.Symlink(filepath.Join(f.book.Dir, string(table)), filepath.Join(dir, string(table))); err != nil {
			t.Fatal(err)
		}
	}
	book, err := datasets.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	last := datasets.Date(math.MinInt32)
	for _, h := range f.hs {
		for _, inv := range h.Invoices {
			last = max(last, inv.IssueDate, inv.PaidDate)
		}
		for _, x := range h.Defaults {
			last = max(last, x.DefaultDate)
		}
	}
	d, scanned, err = DefaultAsOf(context.Background(), book, 0)
	if err != nil || !scanned || d != last+1 {
		t.Errorf("without observed_until: got %s, scanned %t, %v; want %s after reading", d, scanned, err, last+1)
	}
}

func TestReport(t *testing.T) {
	f := testFixture(t)
	_, before := runAll(t, f, DefaultConfig(datasets.YMD(2024, 1, 1)))
	prevPath := filepath.Join(t.TempDir(), "previous.parquet")
	writeRows(t, prevPath, before)
	prev, err := ReadPrevious(prevPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(datasets.YMD(2025, 1, 1))
	cfg.Previous = prev
	sum, _ := runAll(t, f, cfg)
	r := NewReport(sum, f.book, "scores.parquet", "test", 0)

	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	var rows int64
	shares := 0.0
	for _, g := range back.Grades {
		rows += g.Rows
		shares += float64(g.Share)
	}
	if rows != sum.Rows || back.Counts.Rows != sum.Rows || math.Abs(shares-1) > 1e-9 {
		t.Errorf("JSON grades hold %d rows with shares summing to %v; want %d and 1", rows, shares, sum.Rows)
	}
	if back.Migration == nil || back.Migration.Matched != sum.Migration.Matched || len(back.Migration.Rises) != len(sum.Migration.Rises) {
		t.Errorf("JSON migration %+v; want the summary's", back.Migration)
	}
	if back.Currency != f.book.Meta.Currency || back.Model.Version != f.version {
		t.Errorf("JSON currency %q, model %q; want %q, %q", back.Currency, back.Model.Version, f.book.Meta.Currency, f.version)
	}
	if back.PSI == nil || len(back.PSI.Bins) != len(sum.PSIBins) {
		t.Errorf("JSON PSI %+v; want %d bins", back.PSI, len(sum.PSIBins))
	}

	var html bytes.Buffer
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	page := html.String()
	for _, want := range []string{"<svg", `class="migration"`, "Early warning", sum.Migration.Rises[0].CustomerID, "Stability of the PD"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, bad := range []string{"ZgotmplZ", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(page, "http://www.w3.org/2000/svg", ""), bad) {
			t.Errorf("HTML holds %q: unsafe content or a network reference", bad)
		}
	}
	dom := reporttest.Render(t, "rescore", html.Bytes())
	reporttest.Check(t, dom, "headline", "grades", "stability", "migration", "notes")
	if !strings.Contains(dom, `<svg class="chart grades"`) {
		t.Error("rendered page lacks the grade chart")
	}
}
