package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
)

// ObservationConfig says which (customer, as_of) pairs to observe and how
// to label them.
type ObservationConfig struct {
	Features features.Config
	// Horizon of the label; zero: the book's hint, else 12 months.
	Horizon features.Horizon
	// DPDThreshold is the default rule's days past due; 0: the book's hint,
	// else 90. The rule derives defaults for a book without a defaults
	// table, and for any book when DeriveDefaults is set.
	DPDThreshold   int
	DeriveDefaults bool
	// Plan gives the as-of dates of a book without an observations table;
	// zero: features.DefaultPlan over the book's dates.
	Plan features.Plan
	// Workers build features in parallel; 0: one per core.
	Workers int
}

// Prepared is what a first pass over a book fixes before observations
// can be built: the fitted feature set, the dates and the label rule.
type Prepared struct {
	Set           *features.Set
	Plan          features.Plan
	Horizon       features.Horizon
	ObservedUntil datasets.Date
	DPDThreshold  int // 0 when defaults come from the defaults table alone
	First, Last   datasets.Date
}

// Prepare reads the book once to count categorical levels and find its
// date range, and fixes the feature set, plan and label rule.
func Prepare(ctx context.Context, book *datasets.Book, cfg ObservationConfig) (*Prepared, error) {
	p := &Prepared{Horizon: cfg.Horizon, First: datasets.NoDate, Last: datasets.NoDate}
	if !p.Horizon.Valid() {
		p.Horizon = features.DefaultHorizon()
		if book.Meta.Horizon != "" {
			h, err := features.ParseHorizon(book.Meta.Horizon)
			if err != nil {
				return nil, fmt.Errorf("%s: horizon: %w", datasets.MetaFile, err)
			}
			p.Horizon = h
		}
	}
	threshold := cfg.DPDThreshold
	if threshold <= 0 {
		threshold = book.Meta.DPDThreshold
	}
	if threshold <= 0 {
		threshold = features.DefaultDPDThreshold
	}
	if !book.Has(datasets.Defaults) || cfg.DeriveDefaults {
		p.DPDThreshold = threshold
	}

	counter := features.NewLevelCounter(book.Schema)
	r := book.Histories(ctx)
	defer r.Close()
	see := func(d datasets.Date) {
		if d == datasets.NoDate {
			return
		}
		if p.First == datasets.NoDate || d < p.First {
			p.First = d
		}
		if p.Last == datasets.NoDate || d > p.Last {
			p.Last = d
		}
	}
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		counter.AddHistory(h)
		for i := range h.Invoices {
			see(h.Invoices[i].IssueDate)
			see(h.Invoices[i].PaidDate)
		}
		for i := range h.Statements {
			see(h.Statements[i].PeriodEnd)
		}
		for _, d := range h.Defaults {
			see(d.DefaultDate)
		}
	}
	if p.Last == datasets.NoDate {
		return nil, fmt.Errorf("book %s has no dated history", book.Dir)
	}
	p.ObservedUntil = book.Meta.ObservedUntil
	if p.ObservedUntil == datasets.NoDate {
		p.ObservedUntil = p.Last
	}
	p.Plan = cfg.Plan
	if p.Plan.Start == 0 && p.Plan.End == 0 {
		p.Plan = features.DefaultPlan(p.First, p.ObservedUntil, p.Horizon)
	}
	fc := cfg.Features
	fc.SkipInvoices = fc.SkipInvoices || !book.Has(datasets.Invoices)
	fc.SkipStatements = fc.SkipStatements || !book.Has(datasets.Statements)
	set, err := features.NewSet(fc, book.Schema, counter)
	if err != nil {
		return nil, err
	}
	p.Set = set
	return p, nil
}

// Observation is one labelled (customer, as_of) pair and its features.
type Observation struct {
	CustomerID string
	AsOf       datasets.Date
	Label      int8
	Status     features.LabelStatus
	X          []float64
}

// Counts says how many observations a pass produced, by label status.
type Counts struct {
	Customers        int64
	Labelled         int64
	Defaults         int64 // labelled 1
	Censored         int64
	AlreadyDefaulted int64
}

// historyChunk is how many customers travel together between the reader
// and the feature workers: enough to amortise channel costs.
const historyChunk = 256

// Observe streams the book's observations through the feature set, in
// customer order, calling emit with each chunk (emit runs on one goroutine
// at a time; the chunk's slices are reused after it returns). Only
// Labelled observations are emitted unless keepUnlabelled is set.
func Observe(ctx context.Context, book *datasets.Book, p *Prepared, workers int, keepUnlabelled bool, emit func([]Observation) error) (Counts, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type job struct {
		seq  int
		hs   []*datasets.History
		out  []Observation
		cnt  Counts
		done chan struct{}
	}
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan *job, workers)
	ordered := make(chan *job, 2*workers)
	// The reader hands chunks to the workers and, in the same order, to
	// the emitter, which waits for each to be built.
	g.Go(func() error {
		defer close(jobs)
		defer close(ordered)
		r := book.Histories(ctx)
		defer r.Close()
		seq := 0
		for {
			j := &job{seq: seq, done: make(chan struct{})}
			for len(j.hs) < historyChunk {
				h, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				j.hs = append(j.hs, h)
			}
			if len(j.hs) == 0 {
				return nil
			}
			for _, ch := range []chan *job{ordered, jobs} {
				select {
				case ch <- j:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			seq++
		}
	})
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			for j := range jobs {
				for _, h := range j.hs {
					j.out = buildObservations(p, h, keepUnlabelled, j.out, &j.cnt)
				}
				close(j.done)
			}
			return nil
		})
	}
	var total Counts
	g.Go(func() error {
		for j := range ordered {
			select {
			case <-j.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			total.add(j.cnt)
			if len(j.out) > 0 {
				if err := emit(j.out); err != nil {
					return err
				}
			}
		}
		return nil
	})
	err := g.Wait()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return total, err
	}
	return total, err
}

func (c *Counts) add(o Counts) {
	c.Customers += o.Customers
	c.Labelled += o.Labelled
	c.Defaults += o.Defaults
	c.Censored += o.Censored
	c.AlreadyDefaulted += o.AlreadyDefaulted
}

// buildObservations appends the observations of one customer.
func buildObservations(p *Prepared, h *datasets.History, keepUnlabelled bool, out []Observation, cnt *Counts) []Observation {
	cnt.Customers++
	dates := features.ObservationDates(h, p.Plan)
	if len(dates) == 0 {
		return out
	}
	first := features.DefaultDate(h, p.DPDThreshold)
	for _, asOf := range dates {
		y, status := features.Label(first, asOf, p.Horizon, p.ObservedUntil)
		switch status {
		case features.Labelled:
			cnt.Labelled++
			cnt.Defaults += int64(y)
		case features.Censored:
			cnt.Censored++
		case features.AlreadyDefaulted:
			cnt.AlreadyDefaulted++
		}
		if status != features.Labelled && !keepUnlabelled {
			continue
		}
		out = append(out, Observation{CustomerID: h.CustomerID, AsOf: asOf, Label: int8(y), Status: status,
			X: p.Set.Build(h, asOf, make([]float64, 0, p.Set.Len()))})
	}
	return out
}
