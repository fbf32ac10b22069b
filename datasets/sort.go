package datasets

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/credence-risk/credence/datasets/atomicfile"
)

// DefaultSortRunRows is how many rows SortBook sorts in memory at a time
// before spilling a sorted run to disk.
const DefaultSortRunRows = 2_000_000

// SortBook writes a copy of src to outDir with every table sorted by
// customer_id (and by date within a customer), as Histories needs. Tables
// larger than runRows are sorted externally: sorted runs are spilled to
// Parquet files under outDir and merged, so memory stays bounded by runRows.
func SortBook(ctx context.Context, src *Book, outDir string, runRows int) error {
	if runRows <= 0 {
		runRows = DefaultSortRunRows
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	if abs(outDir) == abs(src.Dir) {
		return fmt.Errorf("sort book: output %s is the input book", outDir)
	}
	s := sorter{ctx: ctx, src: src, out: outDir, runRows: runRows}
	var errs []error
	for _, t := range AllTables {
		errs = append(errs, sortOne(s, t))
	}
	err := errors.Join(errs...)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(src.Dir, MetaFile)); err == nil {
		b, err := os.ReadFile(filepath.Join(src.Dir, MetaFile))
		if err != nil {
			return err
		}
		return atomicfile.WriteFile(filepath.Join(outDir, MetaFile), b)
	}
	return nil
}

// sortOne sorts table t of s.src into s.out/t.parquet, by customer_id
// (see CompareIDs), then date.
func sortOne(s sorter, t Table) error {
	o := s.writerOptions(t)
	switch t {
	case Invoices:
		return sortTable(s, invoiceSpec, func(p string) (*Writer[Invoice], error) { return newInvoiceWriter(p, o) }, func(a, b *Invoice) int {
			return cmp.Or(CompareIDs(a.CustomerID, b.CustomerID), cmp.Compare(a.IssueDate, b.IssueDate), cmp.Compare(a.InvoiceID, b.InvoiceID))
		})
	case Statements:
		return sortTable(s, statementSpec, func(p string) (*Writer[Statement], error) { return newStatementWriter(p, o) }, func(a, b *Statement) int {
			return cmp.Or(CompareIDs(a.CustomerID, b.CustomerID), cmp.Compare(a.PeriodEnd, b.PeriodEnd))
		})
	case Customers:
		return sortTable(s, customerSpec(&s.src.Schema), func(p string) (*Writer[Customer], error) { return newCustomerWriter(p, s.src.Schema, o) },
			func(a, b *Customer) int { return CompareIDs(a.CustomerID, b.CustomerID) })
	case Defaults:
		return sortTable(s, defaultSpec, func(p string) (*Writer[Default], error) { return newDefaultWriter(p, o) }, func(a, b *Default) int {
			return cmp.Or(CompareIDs(a.CustomerID, b.CustomerID), cmp.Compare(a.DefaultDate, b.DefaultDate))
		})
	case Observations:
		return sortTable(s, observationSpec, func(p string) (*Writer[Observation], error) { return newObservationWriter(p, o) }, func(a, b *Observation) int {
			return cmp.Or(CompareIDs(a.CustomerID, b.CustomerID), cmp.Compare(a.AsOf, b.AsOf))
		})
	}
	return fmt.Errorf("sort: unknown table %s", t)
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

type sorter struct {
	ctx     context.Context
	src     *Book
	out     string
	runRows int
}

// writerOptions keeps a table's customer_id an integer column when it is
// one in every file of the source.
func (s sorter) writerOptions(t Table) writerOptions {
	files := s.src.files[t]
	for _, path := range files {
		if f, err := FormatOf(path); err != nil || f != FormatParquet {
			return writerOptions{}
		}
		src, cols, err := openSource(s.ctx, path, []string{"customer_id"})
		if err != nil {
			return writerOptions{}
		}
		src.Close()
		i := slices.IndexFunc(cols, func(c fileColumn) bool { return c.Name == "customer_id" })
		if i < 0 || !cols[i].Integer {
			return writerOptions{}
		}
	}
	return writerOptions{integerIDs: len(files) > 0}
}

func sortTable[T any](s sorter, spec tableSpec[T], newWriter func(string) (*Writer[T], error), less func(a, b *T) int) error {
	files := s.src.files[spec.table]
	if len(files) == 0 {
		return nil
	}
	r := newTableReader(s.ctx, spec, files, s.src.rules())
	r.unsorted = true
	defer r.close()
	out := filepath.Join(s.out, string(spec.table)+".parquet")
	runDir := filepath.Join(s.out, "."+string(spec.table)+"-runs")
	defer os.RemoveAll(runDir)
	var runs []string
	chunk := make([]T, 0, min(s.runRows, 1<<16))
	flush := func(path string) error {
		slices.SortStableFunc(chunk, func(a, b T) int { return less(&a, &b) })
		w, err := newWriter(path)
		if err != nil {
			return err
		}
		if err := w.Write(chunk); err != nil {
			w.Abort()
			return err
		}
		chunk = chunk[:0]
		return w.Close()
	}
	for {
		rec, err := r.peek()
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		chunk = append(chunk, *rec)
		r.advance()
		if len(chunk) == s.runRows {
			p := filepath.Join(runDir, fmt.Sprintf("run-%05d.parquet", len(runs)))
			if err := flush(p); err != nil {
				return err
			}
			runs = append(runs, p)
		}
	}
	if len(runs) == 0 {
		return flush(out)
	}
	if len(chunk) > 0 {
		p := filepath.Join(runDir, fmt.Sprintf("run-%05d.parquet", len(runs)))
		if err := flush(p); err != nil {
			return err
		}
		runs = append(runs, p)
	}
	return mergeRuns(s.ctx, spec, runs, out, newWriter, less)
}

// mergeRuns k-way merges sorted run files into out.
func mergeRuns[T any](ctx context.Context, spec tableSpec[T], runs []string, out string, newWriter func(string) (*Writer[T], error), less func(a, b *T) int) error {
	h := &runHeap[T]{less: less}
	for _, p := range runs {
		r := newTableReader(ctx, spec, []string{p}, readRules{})
		defer r.close()
		rec, err := r.peek()
		if err != nil {
			return err
		}
		if rec != nil {
			h.items = append(h.items, r)
		}
	}
	heap.Init(h)
	w, err := newWriter(out)
	if err != nil {
		return err
	}
	buf := make([]T, 0, 4096)
	for h.Len() > 0 {
		r := h.items[0]
		rec, _ := r.peek()
		buf = append(buf, *rec)
		r.advance()
		next, err := r.peek()
		if err != nil {
			w.Abort()
			return err
		}
		if next == nil {
			heap.Pop(h)
		} else {
			heap.Fix(h, 0)
		}
		if len(buf) == cap(buf) {
			if err := w.Write(buf); err != nil {
				w.Abort()
				return err
			}
			buf = buf[:0]
		}
	}
	if err := w.Write(buf); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

type runHeap[T any] struct {
	items []*tableReader[T]
	less  func(a, b *T) int
}

func (h *runHeap[T]) Len() int { return len(h.items) }
func (h *runHeap[T]) Less(i, j int) bool {
	a, _ := h.items[i].peek()
	b, _ := h.items[j].peek()
	return h.less(a, b) < 0
}
func (h *runHeap[T]) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *runHeap[T]) Push(x any)    { h.items = append(h.items, x.(*tableReader[T])) }
func (h *runHeap[T]) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
