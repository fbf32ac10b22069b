package synth

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/credence-risk/credence/datasets"
)

// DeltaConfig describes one day of ledger changes after a book (see
// GenerateDelta).
type DeltaConfig struct {
	// Day is the day the changes happen; NoDate or zero means the day after
	// the book's observed_until (else its latest date). It must come after
	// the book's last day.
	Day datasets.Date
	// Late is the share of customers who stop paying on Day: their invoices
	// due then stay open. Zero: nobody stops.
	Late float64
	// Seed fixes every byte of the output.
	Seed int64
	// Format is "parquet" (the default when empty), "csv" or "csv.gz".
	Format string
}

// DeltaStats counts what a delta holds.
type DeltaStats struct {
	Day datasets.Date
	// Issued: new invoices issued on Day. Paid: open invoices whose rows
	// reappear with paid_date = Day.
	Issued, Paid int
	// Stopped: customers with invoices due by Day who stopped paying.
	Stopped int
	// Crossing: open invoices that become 30, 60 or 90 days past due on Day
	// (left unpaid, so that they cross).
	Crossing int
	// Defaults: customers recorded in default on Day (an invoice 90 days
	// past due), each with its customers row changed (current_limit 0).
	Defaults int
}

// Lateness thresholds the delta leaves crossing, and chances of payment on
// Day for an open invoice by how many days past due it is then.
var crossingDays = []int{30, 60, 90}

const (
	payAroundDue = 0.3   // due in the three days up to Day
	payLate      = 0.03  // 1 to 89 days past due
	payVeryLate  = 0.005 // 90 or more
)

// GenerateDelta writes to outDir (new or empty) one day of changes to the
// book in bookDir, in the book layout, as the daily export of a ledger would
// hold them: invoices.* with the invoices issued on Day and the open
// invoices paid on Day (their whole rows again, with paid_date); defaults.*
// with the customers recorded in default on Day; customers.* with the rows
// of those customers, their current_limit withdrawn. The book's tables must
// be sorted by customer_id (a synthetic book is).
//
// Each customer not in default by Day draws from its own stream, seeded
// from Seed and its id. It stops paying with chance Late; otherwise an open
// invoice is paid with a chance that falls with its lateness, except one
// that becomes 30, 60 or 90 days past due on Day, which stays open so that
// it crosses the threshold. A customer with an invoice crossing 90 days is
// recorded in default ("90dpd"). New invoices arrive at the customer's rate
// of the last 90 days, with its usual terms and amounts.
func GenerateDelta(ctx context.Context, bookDir, outDir string, cfg DeltaConfig) (DeltaStats, error) {
	if cfg.Format == "" {
		cfg.Format = "parquet"
	}
	ext, err := Config{Format: cfg.Format}.extension()
	if err != nil {
		return DeltaStats{}, err
	}
	if !(cfg.Late >= 0 && cfg.Late <= 1) {
		return DeltaStats{}, fmt.Errorf("synth: Late = %v; want 0 to 1", cfg.Late)
	}
	book, err := datasets.Open(bookDir)
	if err != nil {
		return DeltaStats{}, err
	}
	last, err := lastDay(ctx, book)
	if err != nil {
		return DeltaStats{}, err
	}
	if cfg.Day == 0 || cfg.Day == datasets.NoDate {
		cfg.Day = last + 1
	}
	if cfg.Day <= last {
		return DeltaStats{}, fmt.Errorf("synth: delta day %s; want a day after the book's last day %s", cfg.Day, last)
	}
	if err := checkEmpty(outDir); err != nil {
		return DeltaStats{}, err
	}
	w, err := newDeltaWriter(outDir, ext, book.Schema)
	if err != nil {
		return DeltaStats{}, err
	}
	stats, err := writeDelta(ctx, book, cfg, w)
	if err == nil {
		err = w.close()
	}
	if err == nil {
		meta := book.Meta
		meta.Name = "synthetic delta"
		meta.ObservedUntil = cfg.Day
		err = datasets.WriteMeta(outDir, meta)
	}
	if err != nil {
		w.abort()
		return DeltaStats{}, fmt.Errorf("synth: delta of %s: %w", bookDir, err)
	}
	return stats, nil
}

// lastDay is the book's observed_until, else the latest date in it.
func lastDay(ctx context.Context, book *datasets.Book) (datasets.Date, error) {
	if d := book.Meta.ObservedUntil; d != datasets.NoDate {
		return d, nil
	}
	last := datasets.NoDate
	r := book.Histories(ctx)
	defer r.Close()
	for {
		h, err := r.Next()
		if err == io.EOF {
			return last, nil
		}
		if err != nil {
			return 0, err
		}
		last = max(last, h.LatestDate())
	}
}

func writeDelta(ctx context.Context, book *datasets.Book, cfg DeltaConfig, w *deltaWriter) (DeltaStats, error) {
	stats := DeltaStats{Day: cfg.Day}
	day := cfg.Day
	limitCol := book.Schema.NumericIndex("current_limit")
	r := book.Histories(ctx)
	defer r.Close()
	for {
		h, err := r.Next()
		if err == io.EOF {
			return stats, nil
		}
		if err != nil {
			return stats, err
		}
		if d := h.FirstDefault(); d != datasets.NoDate && d <= day {
			continue
		}
		rng := customerStream(cfg.Seed, h.CustomerID)
		stopped := rng.Float64() < cfg.Late
		dueByDay, crossed90 := false, false
		var recent int
		var recentAmount float64
		term := datasets.Date(30)
		for i := range h.Invoices {
			inv := h.Invoices[i]
			if inv.IssueDate >= day-90 && inv.IssueDate < day {
				recent++
				recentAmount += inv.Amount.Float()
			}
			if inv.IssueDate < day {
				term = inv.DueDate - inv.IssueDate
			}
			if inv.PaidDate != datasets.NoDate || inv.IssueDate >= day {
				continue
			}
			late := int(day - inv.DueDate)
			dueByDay = dueByDay || late >= 0
			// Every open invoice draws, so that one customer's stream does
			// not depend on which of its invoices cross.
			u := rng.Float64()
			var p float64
			switch {
			case late >= -3 && late <= 0:
				p = payAroundDue
			case late > 0 && late < 90:
				p = payLate
			case late >= 90:
				p = payVeryLate
			}
			switch {
			case isCrossing(late):
				stats.Crossing++
				crossed90 = crossed90 || late == 90
			case !stopped && u < p:
				inv.PaidDate, inv.PaidAmount = day, datasets.NoAmount
				if err := w.invoice(inv); err != nil {
					return stats, err
				}
				stats.Paid++
			}
		}
		if stopped && dueByDay {
			stats.Stopped++
		}
		if n := poisson(rng, float64(recent)/90); n > 0 && !crossed90 {
			mean := recentAmount / float64(recent)
			for k := range n {
				amount := cents(max(minInvoice, mean*math.Exp(amountSigma*rng.NormFloat64()-amountSigma*amountSigma/2)))
				inv := datasets.Invoice{CustomerID: h.CustomerID, InvoiceID: fmt.Sprintf("INV-%s-%d", day, k+1),
					IssueDate: day, DueDate: day + term, Amount: amount, PaidDate: datasets.NoDate, PaidAmount: datasets.NoAmount}
				if err := w.invoice(inv); err != nil {
					return stats, err
				}
				stats.Issued++
			}
		}
		if crossed90 {
			stats.Defaults++
			if err := w.def(datasets.Default{CustomerID: h.CustomerID, DefaultDate: day, Reason: "90dpd"}); err != nil {
				return stats, err
			}
			if h.Customer != nil && limitCol >= 0 {
				c := *h.Customer
				c.Numeric = append([]float64(nil), c.Numeric...)
				c.Numeric[limitCol] = 0
				if err := w.customer(c); err != nil {
					return stats, err
				}
			}
		}
	}
}

func isCrossing(late int) bool {
	for _, d := range crossingDays {
		if late == d {
			return true
		}
	}
	return false
}

// customerStream is the customer's own random stream in a delta.
func customerStream(seed int64, id string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(id))
	return rand.New(rand.NewPCG(splitmix(uint64(seed)^saltDelta), splitmix(h.Sum64())))
}

const saltDelta = 0x64656c7461 // "delta"

// deltaWriter writes the delta's tables, buffering rows per table.
type deltaWriter struct {
	outDir, ext string
	schema      datasets.CustomerSchema
	invoices    []datasets.Invoice
	defaults    []datasets.Default
	customers   []datasets.Customer
	iw          *datasets.Writer[datasets.Invoice]
	written     []string
}

func newDeltaWriter(outDir, ext string, schema datasets.CustomerSchema) (*deltaWriter, error) {
	w := &deltaWriter{outDir: outDir, ext: ext, schema: schema}
	var err error
	w.iw, err = datasets.NewInvoiceWriter(w.path(datasets.Invoices))
	return w, err
}

func (w *deltaWriter) path(t datasets.Table) string { return filepath.Join(w.outDir, string(t)+w.ext) }

func (w *deltaWriter) invoice(inv datasets.Invoice) error {
	w.invoices = append(w.invoices, inv)
	if len(w.invoices) < invoiceBatch {
		return nil
	}
	err := w.iw.Write(w.invoices)
	w.invoices = w.invoices[:0]
	return err
}

// Defaults and customers rows are few: they are kept until close.
func (w *deltaWriter) def(d datasets.Default) error {
	w.defaults = append(w.defaults, d)
	return nil
}

func (w *deltaWriter) customer(c datasets.Customer) error {
	w.customers = append(w.customers, c)
	return nil
}

// close writes what is buffered; tables without rows are left out, except
// invoices.
func (w *deltaWriter) close() error {
	if err := errors.Join(w.iw.Write(w.invoices), w.iw.Close()); err != nil {
		return err
	}
	w.written = append(w.written, w.path(datasets.Invoices))
	if len(w.defaults) > 0 {
		dw, err := datasets.NewDefaultWriter(w.path(datasets.Defaults))
		if err != nil {
			return err
		}
		if err := errors.Join(dw.Write(w.defaults), dw.Close()); err != nil {
			return err
		}
		w.written = append(w.written, w.path(datasets.Defaults))
	}
	if len(w.customers) > 0 {
		cw, err := datasets.NewCustomerWriter(w.path(datasets.Customers), w.schema)
		if err != nil {
			return err
		}
		if err := errors.Join(cw.Write(w.customers), cw.Close()); err != nil {
			return err
		}
		w.written = append(w.written, w.path(datasets.Customers))
	}
	return nil
}

// abort removes what was written.
func (w *deltaWriter) abort() {
	w.iw.Abort()
	for _, p := range w.written {
		os.Remove(p)
	}
}
