package backtest

import (
	"context"
	"fmt"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/scoring"
)

// ObservationConfig says which (customer, as_of) pairs to observe and how
// to label them.
type ObservationConfig struct {
	Features features.Config `json:"features"`
	// Horizon of the label; zero: the book's hint, else 12 months.
	Horizon features.Horizon `json:"horizon"`
	// DPDThreshold is the default rule's days past due; 0: the book's hint,
	// else 90. The rule derives defaults for a book without a defaults
	// table, and for any book when DeriveDefaults is set.
	DPDThreshold   int  `json:"dpd_threshold,omitempty"`
	DeriveDefaults bool `json:"derive_defaults,omitempty"`
	// Plan gives the as-of dates of a book without an observations table;
	// zero: features.DefaultPlan over the book's dates.
	Plan features.Plan `json:"plan"`
	// Workers build features in parallel; 0: one per core.
	Workers int `json:"-"`
	// Progress, when set, is told how many customers each pass over the
	// book has read so far.
	Progress func(pass string, customers int64) `json:"-"`
}

// Prepared is what a first pass over a book fixes before observations
// can be built: the fitted feature set, the dates and the label rule.
type Prepared struct {
	Progress      func(pass string, customers int64)
	Set           *features.Set
	Plan          features.Plan
	Horizon       features.Horizon
	ObservedUntil datasets.Date
	DPDThreshold  int // 0 when defaults come from the defaults table alone
	First, Last   datasets.Date
	// Portfolios are the portfolio contexts of the book at every as-of
	// date observed, by context date, when Set reads them.
	Portfolios map[datasets.Date]*features.Portfolio
}

// Portfolio returns the context observations as of asOf see; nil when the
// set reads none.
func (p *Prepared) Portfolio(asOf datasets.Date) *features.Portfolio {
	return p.Portfolios[features.PortfolioDate(asOf)]
}

// Prepare reads the book once to count categorical levels and find its
// date range, and fixes the feature set, plan and label rule.
func Prepare(ctx context.Context, book *datasets.Book, cfg ObservationConfig) (*Prepared, error) {
	return prepare(ctx, book, cfg, nil, nil)
}

// PrepareFor is Prepare for a model already fitted: it keeps the model's
// feature set (laid out for this book's customers columns) and fixes only
// the dates, plan and label rule.
func PrepareFor(ctx context.Context, book *datasets.Book, cfg ObservationConfig, set *features.Set) (*Prepared, error) {
	s, err := set.ForSchema(book.Schema)
	if err != nil {
		return nil, err
	}
	return prepare(ctx, book, cfg, s, nil)
}

// prepare fixes what Prepare does, keeping the fitted set when not nil.
// The portfolio contexts date defaults by contextRule, the stored rule of
// the model being validated, so that they are the ones its scorer
// computes; nil: the rule of the labels (training, which stores it).
func prepare(ctx context.Context, book *datasets.Book, cfg ObservationConfig, fitted *features.Set, contextRule *features.DefaultRule) (*Prepared, error) {
	p := &Prepared{Horizon: cfg.Horizon, First: datasets.NoDate, Last: datasets.NoDate, Progress: cfg.Progress}
	var seen int64
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
	p.DPDThreshold = features.RuleForBook(book, cfg.DPDThreshold, cfg.DeriveDefaults).DPDThreshold

	// One parallel pass: each chunk counts its levels and dates, merged in
	// book order.
	type tally struct {
		levels      *features.LevelCounter
		first, last datasets.Date
		customers   int
		observed    map[datasets.Date]bool // context dates of the observations table
	}
	observed := map[datasets.Date]bool{}
	counter := features.NewLevelCounter(book.Schema)
	err := datasets.Scan(ctx, book, cfg.Workers, func(hs []*datasets.History) (tally, error) {
		t := tally{levels: features.NewLevelCounter(book.Schema), first: datasets.NoDate, last: datasets.NoDate, customers: len(hs)}
		see := func(d datasets.Date) {
			if d == datasets.NoDate {
				return
			}
			if t.first == datasets.NoDate || d < t.first {
				t.first = d
			}
			if t.last == datasets.NoDate || d > t.last {
				t.last = d
			}
		}
		for _, h := range hs {
			t.levels.AddHistory(h)
			for _, d := range h.Observations {
				if t.observed == nil {
					t.observed = map[datasets.Date]bool{}
				}
				t.observed[features.PortfolioDate(d)] = true
			}
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
		return t, nil
	}, func(t tally) error {
		seen += int64(t.customers)
		p.report("reading the book", seen)
		if t.first != datasets.NoDate && (p.First == datasets.NoDate || t.first < p.First) {
			p.First = t.first
		}
		if t.last != datasets.NoDate && (p.Last == datasets.NoDate || t.last > p.Last) {
			p.Last = t.last
		}
		for d := range t.observed {
			observed[d] = true
		}
		return counter.Merge(t.levels)
	})
	if err != nil {
		return nil, err
	}
	if p.Last == datasets.NoDate {
		return nil, fmt.Errorf("book %s has no dated history", book.Dir)
	}
	p.ObservedUntil = book.Meta.ObservedUntil
	if p.ObservedUntil == datasets.NoDate {
		p.ObservedUntil = p.Last
	}
	p.Plan = cfg.Plan
	unset := func(d datasets.Date) bool { return d == 0 || d == datasets.NoDate }
	if unset(p.Plan.Start) && unset(p.Plan.End) {
		p.Plan = features.DefaultPlan(p.First, p.ObservedUntil, p.Horizon)
	}
	if fitted != nil {
		p.Set = fitted
	} else {
		fc := cfg.Features
		fc.SkipInvoices = fc.SkipInvoices || !book.Has(datasets.Invoices)
		fc.SkipStatements = fc.SkipStatements || !book.Has(datasets.Statements)
		set, err := features.NewSet(fc, book.Schema, counter)
		if err != nil {
			return nil, err
		}
		p.Set = set
	}
	if p.Set.HasPortfolio() {
		dates := p.Plan.Dates()
		for d := range observed {
			dates = append(dates, d)
		}
		rule := features.DefaultRule{DPDThreshold: p.DPDThreshold}
		if contextRule != nil {
			rule = *contextRule
		}
		if err := p.preparePortfolios(ctx, book, cfg.Workers, rule, dates); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// preparePortfolios computes the portfolio contexts at the as-of dates in
// one more parallel pass over the book.
func (p *Prepared) preparePortfolios(ctx context.Context, book *datasets.Book, workers int, rule features.DefaultRule, asOfs []datasets.Date) error {
	ps, err := scoring.ComputePortfolios(ctx, book, p.Set, rule, workers, asOfs, func(n int64) { p.report("portfolio context", n) })
	if err != nil {
		return err
	}
	p.Portfolios = map[datasets.Date]*features.Portfolio{}
	for _, c := range ps {
		p.Portfolios[c.Date] = c
	}
	return nil
}

func (p *Prepared) report(pass string, customers int64) {
	if p.Progress != nil {
		p.Progress(pass, customers)
	}
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

// Observe streams the book's observations through the feature set, in
// customer order, calling emit with each chunk (on one goroutine at a
// time). Only Labelled observations are emitted unless keepUnlabelled is
// set. Reading and feature building run on up to workers goroutines.
func Observe(ctx context.Context, book *datasets.Book, p *Prepared, workers int, keepUnlabelled bool, emit func([]Observation) error) (Counts, error) {
	type chunk struct {
		obs []Observation
		cnt Counts
	}
	var total Counts
	err := datasets.Scan(ctx, book, workers, func(hs []*datasets.History) (chunk, error) {
		var c chunk
		for _, h := range hs {
			c.obs = buildObservations(p, h, keepUnlabelled, c.obs, &c.cnt)
		}
		return c, nil
	}, func(c chunk) error {
		total.add(c.cnt)
		p.report("building features", total.Customers)
		if len(c.obs) == 0 {
			return nil
		}
		return emit(c.obs)
	})
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
			X: p.Set.BuildIn(h, asOf, p.Portfolio(asOf), make([]float64, 0, p.Set.Len()))})
	}
	return out
}
