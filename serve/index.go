package serve

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/credence-risk/credence/datasets"
)

// Index holds every history of a book in memory, by customer_id. It is
// immutable once loaded and safe for concurrent use.
type Index struct {
	// Book is the book the index was read from.
	Book *datasets.Book
	byID map[string]*datasets.History
	ids  []string // in book order (sorted by customer_id)
	// Bytes is the heap the histories took when they were read, measured.
	Bytes uint64
	// dataDate is the book's observed_until, else its latest date.
	dataDate datasets.Date
}

// LoadIndex reads every history of book into memory. The index needs
// roughly the size of the histories as Go values (Index.Bytes says how
// much it took).
func LoadIndex(ctx context.Context, book *datasets.Book) (*Index, error) {
	before := heapInUse()
	x := &Index{Book: book, byID: map[string]*datasets.History{}, dataDate: datasets.NoDate}
	r := book.Histories(ctx)
	defer r.Close()
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", book.Dir, err)
		}
		x.byID[h.CustomerID] = h
		x.ids = append(x.ids, h.CustomerID)
		x.dataDate = max(x.dataDate, h.LatestDate())
	}
	if book.Meta.ObservedUntil != datasets.NoDate {
		x.dataDate = book.Meta.ObservedUntil
	}
	if after := heapInUse(); after > before {
		x.Bytes = after - before
	}
	return x, nil
}

// NewIndex indexes histories already in memory (e.g. from Book.ReadAll).
func NewIndex(book *datasets.Book, hs []*datasets.History) *Index {
	x := &Index{Book: book, byID: make(map[string]*datasets.History, len(hs)), dataDate: book.Meta.ObservedUntil}
	last := datasets.NoDate
	for _, h := range hs {
		if _, dup := x.byID[h.CustomerID]; !dup {
			x.ids = append(x.ids, h.CustomerID)
		}
		x.byID[h.CustomerID] = h
		last = max(last, h.LatestDate())
	}
	if x.dataDate == datasets.NoDate {
		x.dataDate = last
	}
	return x
}

// heapInUse is the live heap after a collection: a start-up measurement,
// too slow for anything called often.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Schema is the layout of the book's customers table.
func (x *Index) Schema() datasets.CustomerSchema { return x.Book.Schema }

// Get returns the history of a customer.
func (x *Index) Get(id string) (*datasets.History, bool) {
	h, ok := x.byID[id]
	return h, ok
}

// History returns the history of a customer, or an error that says it is
// not in the book.
func (x *Index) History(id string) (*datasets.History, error) {
	if h, ok := x.byID[id]; ok {
		return h, nil
	}
	return nil, errNotInBook(id)
}

// DataDate is the book's observed_until, else its latest date.
func (x *Index) DataDate() datasets.Date { return x.dataDate }

// Currency is the book's currency, from book.yaml.
func (x *Index) Currency() string { return x.Book.Meta.Currency }

// Len is the number of customers.
func (x *Index) Len() int { return len(x.ids) }

// IDs returns the first n customer ids in book order.
func (x *Index) IDs(n int) []string { return x.ids[:min(n, len(x.ids))] }

// Each calls fn with every history in book order.
func (x *Index) Each(fn func(*datasets.History) error) error {
	for _, id := range x.ids {
		if err := fn(x.byID[id]); err != nil {
			return err
		}
	}
	return nil
}

// Settled is nil: the index is frozen.
func (x *Index) Settled() func() datasets.Date { return nil }
