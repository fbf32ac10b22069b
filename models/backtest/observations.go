package backtest

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"maps"
	"slices"

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
	// Draw, when set, is a training sample's rule: Observe builds the
	// features of the observations it draws only (the counts are of all),
	// since a sample keeps a small share of them.
	Draw *SampleRule
	// Portfolios are the portfolio contexts of the book at every as-of
	// date observed, by context date, when Set reads them.
	Portfolios map[datasets.Date]*features.Portfolio
	// observed are the context dates of the observations table.
	observed map[datasets.Date]bool
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
	t, err := TallyBook(ctx, book, cfg.Workers, func(n int64) {
		if cfg.Progress != nil {
			cfg.Progress("reading the book", n)
		}
	})
	if err != nil {
		return nil, err
	}
	p, err := finishPrepare(book, cfg, t, fitted)
	if err != nil {
		return nil, err
	}
	if p.Set.HasPortfolio() {
		rule := features.DefaultRule{DPDThreshold: p.DPDThreshold}
		if contextRule != nil {
			rule = *contextRule
		}
		if err := p.preparePortfolios(ctx, book, cfg.Workers, rule, p.PortfolioDates()); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Tally is what Prepare's pass counts over a book: the categorical levels,
// the date range and the portfolio context dates of the observations
// table. The tallies of a book's parts Merge into that of the whole book,
// in any order, which FinishPrepare turns into what Prepare returns.
type Tally struct {
	Levels      *features.LevelCounter
	First, Last datasets.Date
	// Observed are the context dates (features.PortfolioDate) of the
	// observations table.
	Observed map[datasets.Date]bool
}

func newTally(schema datasets.CustomerSchema) *Tally {
	return &Tally{Levels: features.NewLevelCounter(schema), First: datasets.NoDate, Last: datasets.NoDate}
}

func (t *Tally) see(d datasets.Date) {
	if d == datasets.NoDate {
		return
	}
	if t.First == datasets.NoDate || d < t.First {
		t.First = d
	}
	if t.Last == datasets.NoDate || d > t.Last {
		t.Last = d
	}
}

// Merge adds the tally of other customers of the book.
func (t *Tally) Merge(o *Tally) error {
	t.see(o.First)
	t.see(o.Last)
	for d := range o.Observed {
		if t.Observed == nil {
			t.Observed = map[datasets.Date]bool{}
		}
		t.Observed[d] = true
	}
	return t.Levels.Merge(o.Levels)
}

// tallyWire is a Tally as it travels.
type tallyWire struct {
	Levels      []byte
	First, Last datasets.Date
	Observed    []datasets.Date
}

// MarshalBinary encodes the tally, for a pipeline to ship the tallies of
// a book's parts to where they are merged.
func (t *Tally) MarshalBinary() ([]byte, error) {
	levels, err := t.Levels.MarshalBinary()
	if err != nil {
		return nil, err
	}
	w := tallyWire{Levels: levels, First: t.First, Last: t.Last, Observed: slices.Sorted(maps.Keys(t.Observed))}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&w); err != nil {
		return nil, fmt.Errorf("encode book tally: %w", err)
	}
	return b.Bytes(), nil
}

// DecodeTally decodes what Tally.MarshalBinary encoded from the tally of a
// book of customers laid out by schema.
func DecodeTally(schema datasets.CustomerSchema, data []byte) (*Tally, error) {
	var w tallyWire
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&w); err != nil {
		return nil, fmt.Errorf("decode book tally: %w", err)
	}
	t := newTally(schema)
	if err := t.Levels.UnmarshalBinary(w.Levels); err != nil {
		return nil, err
	}
	t.First, t.Last = w.First, w.Last
	for _, d := range w.Observed {
		if t.Observed == nil {
			t.Observed = map[datasets.Date]bool{}
		}
		t.Observed[d] = true
	}
	return t, nil
}

// TallyBook counts book (or a part of it) in one parallel pass; progress,
// when set, is told how many customers were read.
func TallyBook(ctx context.Context, book *datasets.Book, workers int, progress func(customers int64)) (*Tally, error) {
	type chunk struct {
		t         *Tally
		customers int
	}
	total := newTally(book.Schema)
	var seen int64
	err := datasets.Scan(ctx, book, workers, func(hs []*datasets.History) (chunk, error) {
		t := newTally(book.Schema)
		for _, h := range hs {
			t.Levels.AddHistory(h)
			for _, d := range h.Observations {
				if t.Observed == nil {
					t.Observed = map[datasets.Date]bool{}
				}
				t.Observed[features.PortfolioDate(d)] = true
			}
			for i := range h.Invoices {
				t.see(h.Invoices[i].IssueDate)
				t.see(h.Invoices[i].PaidDate)
			}
			for i := range h.Statements {
				t.see(h.Statements[i].PeriodEnd)
			}
			for _, d := range h.Defaults {
				t.see(d.DefaultDate)
			}
		}
		return chunk{t, len(hs)}, nil
	}, func(c chunk) error {
		seen += int64(c.customers)
		if progress != nil {
			progress(seen)
		}
		return total.Merge(c.t)
	})
	if err != nil {
		return nil, err
	}
	return total, nil
}

// FinishPrepare is Prepare from the tally of the whole book (merged from
// its parts') without the portfolio contexts: when p.Set reads them, they
// are to be computed at p.PortfolioDates() and set in p.Portfolios. book
// gives the tables and book.yaml (any part of the book will do).
func FinishPrepare(book *datasets.Book, cfg ObservationConfig, t *Tally) (*Prepared, error) {
	return finishPrepare(book, cfg, t, nil)
}

func finishPrepare(book *datasets.Book, cfg ObservationConfig, t *Tally, fitted *features.Set) (*Prepared, error) {
	p := &Prepared{Horizon: cfg.Horizon, First: t.First, Last: t.Last, Progress: cfg.Progress, observed: t.Observed}
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
		set, err := features.NewSet(fc, book.Schema, t.Levels)
		if err != nil {
			return nil, err
		}
		p.Set = set
	}
	return p, nil
}

// PortfolioDates are the as-of dates whose portfolio contexts the
// observations need: the plan's and the observations table's.
func (p *Prepared) PortfolioDates() []datasets.Date {
	dates := p.Plan.Dates()
	for d := range p.observed {
		dates = append(dates, d)
	}
	return dates
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
		total.Add(c.cnt)
		p.report("building features", total.Customers)
		if len(c.obs) == 0 {
			return nil
		}
		return emit(c.obs)
	})
	return total, err
}

// Add adds the counts of another pass (another part of the book) to c.
func (c *Counts) Add(o Counts) {
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
		o := Observation{CustomerID: h.CustomerID, AsOf: asOf, Label: int8(y), Status: status}
		if p.Draw != nil && p.Draw.Weight(&o) == 0 {
			continue
		}
		o.X = p.Set.BuildIn(h, asOf, p.Portfolio(asOf), make([]float64, 0, p.Set.Len()))
		out = append(out, o)
	}
	return out
}
