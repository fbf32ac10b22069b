package rescore

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

// Scoring a book part by part, on as many machines, and merging the parts'
// summaries (shipped encoded, merged in any order) and the migration
// counted customer by customer gives the very summary of one pass, and the
// rows of the parts' shard set read back as the rows of one file.
func TestPartsMergeToTheWholeRun(t *testing.T) {
	f := testFixture(t)
	dir := t.TempDir()
	_, before := runAll(t, f, DefaultConfig(datasets.YMD(2023, 6, 1)))
	prevPath := filepath.Join(dir, "previous.parquet")
	writeRows(t, prevPath, before)
	prev, err := ReadPrevious(prevPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(datasets.YMD(2025, 1, 1))
	cfg.Previous = prev
	want, wantRows := runAll(t, f, cfg)

	parts := f.book.Partitions()
	if len(parts) < 2 {
		t.Fatalf("the fixture book has %d parts; want several", len(parts))
	}
	out := filepath.Join(dir, "scores.parquet")
	encoded := make([][]byte, len(parts))
	var latest []Row
	partCfg := cfg
	partCfg.Previous = nil
	partCfg.Latest = func(r *Row) { latest = append(latest, *r) }
	for k, part := range parts {
		shard, err := datasets.ShardPath(out, k, len(parts))
		if err != nil {
			t.Fatal(err)
		}
		w, err := Create(shard)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := RunPart(context.Background(), part, f.scorer, partCfg, w)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if encoded[k], err = sum.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	}
	// Merged in another order, where no model is loaded: the reference
	// distribution of the PD travels with the parts.
	var got *Summary
	for _, k := range []int{2, 0, 1} {
		var part Summary
		if err := part.UnmarshalBinary(encoded[k]); err != nil {
			t.Fatal(err)
		}
		if got == nil {
			got = &part
		} else {
			got.Merge(&part)
		}
	}
	got.Finish()
	// The migration, joined by customer as a pipeline does.
	mv := NewMoves()
	seen := map[string]bool{}
	for i := range latest {
		r := &latest[i]
		seen[r.CustomerID] = true
		if old, ok := prev.byID[r.CustomerID]; ok {
			one := NewMoves() // one customer's moves, merged as a combine does
			one.Add(r, Latest{AsOf: old.asOf, PD: old.pd, Grade: int(old.grade)})
			mv.Merge(one)
		} else {
			mv.AddNew()
		}
	}
	for id := range prev.byID {
		if !seen[id] {
			mv.AddGone()
		}
	}
	got.Migration = mv.Finish(prev.Path, prev.model)

	if !reflect.DeepEqual(exported(got), exported(want)) {
		t.Errorf("merged parts:\n%+v\none pass:\n%+v", exported(got), exported(want))
	}
	if !reflect.DeepEqual(got.Migration, want.Migration) {
		t.Errorf("migration of the parts:\n%+v\none pass:\n%+v", got.Migration, want.Migration)
	}
	var back []Row
	if err := Read(out, func(r *Row) error { back = append(back, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(back, wantRows, sameRow) {
		t.Errorf("the shard set reads back %d rows, not the %d rows of one pass", len(back), len(wantRows))
	}
	fromSet, err := ReadPrevious(out)
	if err != nil {
		t.Fatal(err)
	}
	if fromSet.Customers() == 0 || fromSet.Rows != int64(len(wantRows)) {
		t.Errorf("the shard set as a previous output: %d rows, %d customers", fromSet.Rows, fromSet.Customers())
	}

	// A set with a shard missing is not an output.
	last, _ := datasets.ShardPath(out, len(parts)-1, len(parts))
	if err := os.Remove(last); err != nil {
		t.Fatal(err)
	}
	err = Read(out, func(*Row) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "incomplete") || !strings.Contains(err.Error(), filepath.Base(last)) {
		t.Errorf("reading a set without its last shard: %v; want it named as missing", err)
	}
	if _, err := ReadPrevious(filepath.Join(dir, "nothing.parquet")); err == nil {
		t.Error("a previous output that does not exist reads")
	}
}

// exported is the summary without its working state, for comparison.
func exported(s *Summary) Summary {
	c := *s
	c.reference, c.pdCounts, c.mg, c.sums, c.firstErrAt = nil, nil, nil, [gradeCount]gradeSums{}, rowKey{}
	c.Migration = nil
	if c.FirstLimitError != nil {
		c.FirstLimitError = nil
	}
	return c
}

// TestRowKeyInBookOrder: the first limit error of merged parts is the
// first in book order, where integer customer ids compare as numbers.
func TestRowKeyInBookOrder(t *testing.T) {
	for _, c := range []struct {
		a, b rowKey
		want bool
	}{
		{rowKey{"9", 10}, rowKey{"11", 5}, true},
		{rowKey{"11", 5}, rowKey{"9", 10}, false},
		{rowKey{"A", 5}, rowKey{"B", 1}, true},
		{rowKey{"A", 1}, rowKey{"A", 5}, true},
		{rowKey{"A", 5}, rowKey{"A", 5}, false},
	} {
		if got := c.a.before(c.b); got != c.want {
			t.Errorf("%v before %v: %v; want %v", c.a, c.b, got, c.want)
		}
	}
}
