// Package store is the live book: every customer's history in an embedded,
// on-disk key-value store (Pebble, CockroachDB's LSM engine), kept current
// by events and read one customer at a time by the scorer. Memory is
// bounded by the configured block cache, not by the size of the book; an
// acknowledged event is on disk (the write-ahead log is synced before
// Apply returns, with concurrent callers sharing one sync).
//
// The store holds the book's tables as records keyed by customer, so that
// History returns what a book reader would give for the same rows, and
// Export writes them back as a book: retraining reads exactly what was
// scored.
package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"github.com/credence-risk/credence/datasets"
)

// Key layout. Every record of a customer shares the prefix
// 'h' customer_id 0x00, so that one range scan reads a history:
//
//	h <id> 0 'a'             attributes (the customers row)
//	h <id> 0 'i' <invoice>   an invoice and the events applied to it
//	h <id> 0 's' <date>      a statement, by period_end
//	h <id> 0 'd' <date>      a recorded default, by default_date
//	o <due> <id> 0 <invoice> an open invoice, by due date (for the sweep)
//	l <id>                   the customer's last score (for alerts)
//	x <seq>                  an alert
//	m                        the store's Meta
const (
	prefixHistory = 'h'
	prefixOpen    = 'o'
	prefixLast    = 'l'
	prefixAlert   = 'x'
	keyMeta       = "m"

	kindAttributes = 'a'
	kindInvoice    = 'i'
	kindStatement  = 's'
	kindDefault    = 'd'
)

// ErrNotFound: the store has no record of the customer.
var ErrNotFound = errors.New("customer not in the store")

// Meta describes the book the store holds.
type Meta struct {
	// Book is the loaded book's book.yaml (its ObservedUntil is the data
	// date the book was loaded with).
	Book   datasets.Meta
	Schema datasets.CustomerSchema
	// DataDate is the latest date on which something happened in the book:
	// an invoice issued or paid, a statement posted, a default recorded.
	// Due dates do not move it.
	DataDate datasets.Date
	// Defaults: the book has a defaults table (loaded with one, or a default
	// was recorded since).
	Defaults bool
	// Customers is the number of customers with a record.
	Customers int64
}

type metaJSON struct {
	Name         string                  `json:"name,omitempty"`
	Currency     string                  `json:"currency,omitempty"`
	Horizon      string                  `json:"horizon,omitempty"`
	DPDThreshold int                     `json:"dpd_threshold,omitempty"`
	Loaded       datasets.Date           `json:"loaded_observed_until"`
	Schema       datasets.CustomerSchema `json:"schema"`
	DataDate     datasets.Date           `json:"data_date"`
	Defaults     bool                    `json:"defaults"`
	Customers    int64                   `json:"customers"`
}

func (m Meta) MarshalJSON() ([]byte, error) {
	return json.Marshal(metaJSON{Name: m.Book.Name, Currency: m.Book.Currency, Horizon: m.Book.Horizon,
		DPDThreshold: m.Book.DPDThreshold, Loaded: m.Book.ObservedUntil, Schema: m.Schema, DataDate: m.DataDate,
		Defaults: m.Defaults, Customers: m.Customers})
}

func (m *Meta) UnmarshalJSON(b []byte) error {
	var j metaJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Meta{Book: datasets.Meta{Name: j.Name, Currency: j.Currency, Horizon: j.Horizon, DPDThreshold: j.DPDThreshold,
		ObservedUntil: j.Loaded}, Schema: j.Schema, DataDate: j.DataDate, Defaults: j.Defaults, Customers: j.Customers}
	return nil
}

// Options configure a store.
type Options struct {
	// CacheBytes is the block cache; 0 means 128 MiB.
	CacheBytes int64
	// Now is the clock that refuses events dated in the future; nil means
	// time.Now.
	Now func() time.Time
	// MaxBatchEvents bounds the events committed together; 0 means 16384.
	MaxBatchEvents int
}

// Store is an open live book. It is safe for concurrent use.
type Store struct {
	db   *pebble.DB
	dir  string
	opts Options
	meta atomic.Pointer[Meta]

	// Writes go through one goroutine that commits whatever requests have
	// queued up as one synced batch (group commit).
	requests chan *request
	stop     chan struct{}
	stopped  chan struct{}
	closeMu  sync.Mutex
	closed   bool

	// known is the writer's memory of customers with records.
	known knownCustomers

	// alertMu orders alert numbers.
	alertMu  sync.Mutex
	alertSeq uint64
}

// Open opens (or creates) the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = 128 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBatchEvents <= 0 {
		opts.MaxBatchEvents = 16384
	}
	cache := pebble.NewCache(opts.CacheBytes)
	defer cache.Unref()
	popts := &pebble.Options{Cache: cache, Logger: quietLogger{}, MemTableSize: 32 << 20}
	// Bloom filters let the lookups of keys that are not there yet (every
	// new invoice, payments before their invoice) skip the tables' data
	// blocks: most of an event's cost without them.
	for i := range popts.Levels {
		popts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(dir, popts)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s := &Store{db: db, dir: dir, opts: opts, requests: make(chan *request, 64), stop: make(chan struct{}), stopped: make(chan struct{})}
	m := &Meta{DataDate: datasets.NoDate, Book: datasets.Meta{ObservedUntil: datasets.NoDate}}
	b, closer, err := db.Get([]byte(keyMeta))
	switch {
	case err == nil:
		err = json.Unmarshal(b, m)
		closer.Close()
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("open store %s: meta: %w", dir, err)
		}
	case !errors.Is(err, pebble.ErrNotFound):
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s.meta.Store(m)
	if err := s.loadAlertSeq(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	go s.writer()
	return s, nil
}

// quietLogger keeps Pebble's informational lines out of the server's log
// and reports its errors on stderr, where an operator sees them.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "store: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// Close stops the writer and closes the database.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.stop)
	<-s.stopped
	return s.db.Close()
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Meta returns the store's description as of now.
func (s *Store) Meta() Meta { return *s.meta.Load() }

// Empty reports whether the store holds no customer.
func (s *Store) Empty() bool { return s.Meta().Customers == 0 }

// DataDate is Meta().DataDate.
func (s *Store) DataDate() datasets.Date { return s.meta.Load().DataDate }

func historyPrefix(id string) []byte {
	k := make([]byte, 0, len(id)+2)
	k = append(k, prefixHistory)
	k = append(k, id...)
	return append(k, 0)
}

func recordKey(id string, kind byte, suffix []byte) []byte {
	k := historyPrefix(id)
	k = append(k, kind)
	return append(k, suffix...)
}

// dateKey orders dates as unsigned big-endian bytes.
func dateKey(d datasets.Date) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(d)^0x80000000)
}

func dateOfKey(b []byte) datasets.Date {
	return datasets.Date(binary.BigEndian.Uint32(b) ^ 0x80000000)
}

func openKey(due datasets.Date, id, invoiceID string) []byte {
	k := append([]byte{prefixOpen}, dateKey(due)...)
	k = append(k, id...)
	k = append(k, 0)
	return append(k, invoiceID...)
}

// prefixEnd returns the first key after every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := slices.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// reader is what History reads from: the database or a batch.
type reader interface {
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

// History returns the customer's history as a book reader would give it:
// invoices by issue date (then invoice_id), statements by period_end,
// defaults by date.
func (s *Store) History(id string) (*datasets.History, error) {
	h, err := readHistory(s.db, id, s.meta.Load().Schema)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, fmt.Errorf("%q: %w", id, ErrNotFound)
	}
	return h, nil
}

func readHistory(r reader, id string, schema datasets.CustomerSchema) (*datasets.History, error) {
	p := historyPrefix(id)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var h *datasets.History
	for ok := it.First(); ok; ok = it.Next() {
		if h == nil {
			h = &datasets.History{CustomerID: id}
		}
		k, v := it.Key()[len(p):], it.Value()
		if len(k) == 0 {
			return nil, fmt.Errorf("customer %q: %w", id, errCorrupt)
		}
		d := &decoder{b: v}
		switch k[0] {
		case kindAttributes:
			c := &datasets.Customer{CustomerID: id}
			decodeCustomer(d, c)
			if len(c.Numeric) != len(schema.Numeric) || len(c.Categorical) != len(schema.Categorical) {
				d.err = errCorrupt
			}
			h.Customer = c
		case kindInvoice:
			rec := newInvoiceRec()
			rec.decode(d)
			if inv, ok := rec.invoice(id, string(k[1:])); ok {
				h.Invoices = append(h.Invoices, inv)
			}
		case kindStatement:
			st := datasets.Statement{CustomerID: id, PeriodEnd: dateOfKey(k[1:])}
			decodeStatement(d, &st)
			h.Statements = append(h.Statements, st)
		case kindDefault:
			h.Defaults = append(h.Defaults, datasets.Default{CustomerID: id, DefaultDate: dateOfKey(k[1:]), Reason: d.str()})
		default:
			d.err = errCorrupt
		}
		if d.err != nil {
			return nil, fmt.Errorf("customer %q: %w", id, d.err)
		}
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	if h != nil {
		// Invoice ids are unique within a customer, so the order is total
		// and an unstable sort gives the same order as a stable one.
		slices.SortFunc(h.Invoices, func(a, b datasets.Invoice) int {
			if a.IssueDate != b.IssueDate {
				return int(a.IssueDate) - int(b.IssueDate)
			}
			return strings.Compare(a.InvoiceID, b.InvoiceID)
		})
	}
	return h, nil
}

// Customers calls fn with every customer's history, in customer_id order.
func (s *Store) Customers(ctx context.Context, fn func(*datasets.History) error) error {
	schema := s.meta.Load().Schema
	p := []byte{prefixHistory}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := it.Key()
		end := bytes.IndexByte(k[1:], 0)
		if end < 0 {
			return errCorrupt
		}
		id := string(k[1 : 1+end])
		h, err := readHistory(s.db, id, schema)
		if err != nil {
			return err
		}
		if h != nil {
			if err := fn(h); err != nil {
				return err
			}
		}
		ok = it.SeekGE(prefixEnd(historyPrefix(id)))
	}
	return it.Error()
}

// writeHistory writes the records of a book history into b.
func writeHistory(b *pebble.Batch, h *datasets.History, schema datasets.CustomerSchema) error {
	var e encoder
	if h.Customer != nil {
		e.b = e.b[:0]
		encodeCustomer(&e, h.Customer)
		if err := b.Set(recordKey(h.CustomerID, kindAttributes, nil), slices.Clone(e.b), nil); err != nil {
			return err
		}
	}
	for i := range h.Invoices {
		inv := &h.Invoices[i]
		rec := newInvoiceRec()
		rec.Issued, rec.IssueDate, rec.DueDate, rec.Amount = true, inv.IssueDate, inv.DueDate, inv.Amount
		rec.Currency, rec.Disputed, rec.RowPaidDate, rec.RowPaidAmount = inv.Currency, inv.Disputed, inv.PaidDate, inv.PaidAmount
		e.b = e.b[:0]
		rec.encode(&e)
		if err := b.Set(recordKey(h.CustomerID, kindInvoice, []byte(inv.InvoiceID)), slices.Clone(e.b), nil); err != nil {
			return err
		}
		if inv.PaidDate == datasets.NoDate {
			if err := b.Set(openKey(inv.DueDate, h.CustomerID, inv.InvoiceID), nil, nil); err != nil {
				return err
			}
		}
	}
	for i := range h.Statements {
		st := &h.Statements[i]
		e.b = e.b[:0]
		encodeStatement(&e, st)
		if err := b.Set(recordKey(h.CustomerID, kindStatement, dateKey(st.PeriodEnd)), slices.Clone(e.b), nil); err != nil {
			return err
		}
	}
	for _, d := range h.Defaults {
		e.b = e.b[:0]
		e.str(d.Reason)
		if err := b.Set(recordKey(h.CustomerID, kindDefault, dateKey(d.DefaultDate)), slices.Clone(e.b), nil); err != nil {
			return err
		}
	}
	return nil
}

// putMeta writes m into b.
func putMeta(b *pebble.Batch, m *Meta) error {
	js, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return b.Set([]byte(keyMeta), js, nil)
}

// LoadProgress is told the number of customers loaded so far.
type LoadProgress func(customers int64)

// Load reads every history of book into an empty store. The data date
// becomes the book's observed_until, else its latest date.
func (s *Store) Load(ctx context.Context, book *datasets.Book, progress LoadProgress) error {
	if !s.Empty() {
		return fmt.Errorf("load %s into %s: the store already holds %d customers", book.Dir, s.dir, s.Meta().Customers)
	}
	m := &Meta{Book: book.Meta, Schema: book.Schema, Defaults: book.Has(datasets.Defaults), DataDate: datasets.NoDate}
	r := book.Histories(ctx)
	defer r.Close()
	b := s.db.NewBatch()
	defer func() { b.Close() }()
	last := datasets.NoDate
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("load %s: %w", book.Dir, err)
		}
		if err := checkID(h.CustomerID); err != nil {
			return fmt.Errorf("load %s: customer_id %q: %w", book.Dir, h.CustomerID, err)
		}
		last = max(last, h.LatestDate())
		if err := writeHistory(b, h, book.Schema); err != nil {
			return err
		}
		m.Customers++
		if b.Len() > 32<<20 {
			if err := b.Commit(pebble.NoSync); err != nil {
				return err
			}
			b.Close()
			b = s.db.NewBatch()
			if progress != nil {
				progress(m.Customers)
			}
		}
	}
	m.DataDate = book.Meta.ObservedUntil
	if m.DataDate == datasets.NoDate {
		m.DataDate = last
	}
	m.Book.ObservedUntil = m.DataDate
	if err := putMeta(b, m); err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	if err := s.db.Flush(); err != nil {
		return err
	}
	if progress != nil {
		progress(m.Customers)
	}
	s.meta.Store(m)
	return nil
}

// checkID refuses customer ids the key layout cannot hold.
func checkID(id string) error {
	switch {
	case id == "":
		return datasets.ErrNull
	case strings.IndexByte(id, 0) >= 0:
		return errors.New("contains a NUL byte")
	case len(id) > maxIDBytes:
		return fmt.Errorf("longer than %d bytes", maxIDBytes)
	}
	return nil
}

// maxIDBytes bounds customer and invoice ids.
const maxIDBytes = 256
