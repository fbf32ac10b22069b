package serve

import (
	"context"
	"errors"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/serve/store"
)

// Book is where the server reads customers' histories: the live store
// (events keep it current) or an Index of a book held in memory.
type Book interface {
	// History returns a customer's history; an unknown customer is an
	// error that errNotInBook made.
	History(id string) (*datasets.History, error)
	// Schema is the layout of the customers table.
	Schema() datasets.CustomerSchema
	// DataDate is the latest date on which something happened in the
	// book, as far as the server knows.
	DataDate() datasets.Date
	// Len is the number of customers.
	Len() int
	// IDs returns up to n customer ids, for warming a model up.
	IDs(n int) []string
	// Currency is the ISO 4217 code of the book's amounts (book.yaml);
	// "" when the book declares none.
	Currency() string
	// Each calls fn with every history of the book, stopping at the first
	// error: the pass that computes a portfolio context.
	Each(fn func(*datasets.History) error) error
	// Settled is nil for a frozen book, else its DataDate: the scorer's
	// portfolio contexts are final only for dates on or before it.
	Settled() func() datasets.Date
}

func errNotInBook(id string) error {
	return notFound("customer_id: %q is not in the book", truncate(id, 64))
}

// Live is the live store as the server's Book.
type Live struct{ *store.Store }

// NewLive serves from s.
func NewLive(s *store.Store) Live { return Live{s} }

func (l Live) History(id string) (*datasets.History, error) {
	h, err := l.Store.History(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotInBook(id)
	}
	return h, err
}

// Each reads every history of the store. The portfolio context of a month
// uses the facts dated before the month's first day, complete once the data
// date has entered the month (events arrive in date order): it is computed
// from the store once then, ingest starting that pass in the background as
// soon as the data date rolls into a new month; asked for earlier, it is
// computed for the moment and again at the roll.
func (l Live) Each(fn func(*datasets.History) error) error {
	return l.Customers(context.Background(), fn)
}

// Settled is the store's data date: events keep it current.
func (l Live) Settled() func() datasets.Date { return l.DataDate }

func (l Live) Schema() datasets.CustomerSchema { return l.Meta().Schema }

func (l Live) Len() int { return int(l.Meta().Customers) }

func (l Live) Currency() string { return l.Meta().Book.Currency }

func (l Live) IDs(n int) []string {
	var ids []string
	stop := errors.New("enough")
	// Warming a model up is best effort: a read error leaves the ids found
	// so far, and the scores that follow meet the error themselves.
	_ = l.Customers(context.Background(), func(h *datasets.History) error {
		if len(ids) >= n {
			return stop
		}
		ids = append(ids, h.CustomerID)
		return nil
	})
	return ids
}
