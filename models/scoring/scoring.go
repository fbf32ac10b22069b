// Package scoring turns one customer's history into what a credit system
// acts on: the stored model's PD, the grade on the master scale, the score
// in points, the reasons and the facts a credit limit rests on. It is the
// one scoring path: the gRPC server, batch rescoring and the back-tests all
// score through it, with the features and the default rule training used,
// so the same history and as-of date give the same answer everywhere.
package scoring

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/grade"
)

// Scorer scores histories with one model. It is safe for concurrent use.
type Scorer struct {
	Artifact *artifact.Artifact
	Set      *features.Set
	Scale    grade.Scale
	Points   grade.Points
	// Rule is the default rule of the model's training: a customer whose
	// first default under it falls on or before the scoring date is in
	// the default grade, whatever book the history comes from.
	Rule features.DefaultRule

	// Positions in the feature vector and the customers row of what a
	// credit limit reads; -1 when absent.
	dbt, netWorth, workingCapital, currentLimit int

	// months caches the twelve month edges before each as-of date that
	// LimitInputs was asked about: batch rescoring asks about one date a
	// million times, and a calendar month step costs more than the rest.
	monthsMu sync.Mutex
	months   map[datasets.Date]*[13]datasets.Date

	// book gives the histories the portfolio context is computed from,
	// and portfolios holds the contexts by date, for a model whose
	// features read one.
	book        Histories
	dataDate    func() datasets.Date
	portfolioMu sync.Mutex
	given       map[datasets.Date]*features.Portfolio
	portfolios  map[datasets.Date]*portfolioEntry
}

// Histories calls fn with every history of a book, stopping at the first
// error; the scorer reads the book through it to compute the portfolio
// context (features.Portfolio) of a date.
type Histories func(fn func(*datasets.History) error) error

// portfolioEntry is one context, computed once; done is closed when p or
// err is set. A provisional one was computed while facts of the day before
// its date could still arrive.
type portfolioEntry struct {
	done        chan struct{}
	p           *features.Portfolio
	err         error
	provisional bool
}

// Result is one customer's score.
type Result struct {
	PD      float64
	Grade   int
	Score   float64
	Reasons []models.Reason
	// InDefault: the customer had defaulted on or before the scoring
	// date; PD is 1 and the grade is the default grade.
	InDefault bool
	// Features are the vector the model scored.
	Features []float64
}

// New prepares a scorer for histories from a book whose customers table
// is laid out by schema.
func New(art *artifact.Artifact, schema datasets.CustomerSchema) (*Scorer, error) {
	if art.FeatureSet == nil {
		return nil, fmt.Errorf("model %s has no feature set: it cannot score histories", art.Version)
	}
	set, err := art.FeatureSet.ForSchema(schema)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", art.Version, err)
	}
	s := &Scorer{Artifact: art, Set: set, Scale: grade.DefaultScale(), Points: grade.DefaultPoints()}
	if len(art.Scale) > 0 {
		if err := json.Unmarshal(art.Scale, &s.Scale); err != nil {
			return nil, fmt.Errorf("model %s: scale: %w", art.Version, err)
		}
	}
	if err := s.Scale.Validate(); err != nil {
		return nil, fmt.Errorf("model %s: %w", art.Version, err)
	}
	if s.Rule, err = RuleOf(art); err != nil {
		return nil, err
	}
	if got, want := len(art.Model.Features()), set.Len(); got != want {
		return nil, fmt.Errorf("model %s reads %d features; its feature set has %d", art.Version, got, want)
	}
	s.dbt = set.Index(dbtFeature)
	s.netWorth = schema.NumericIndex("net_worth")
	s.workingCapital = schema.NumericIndex("working_capital")
	s.currentLimit = schema.NumericIndex("current_limit")
	return s, nil
}

// RuleOf returns the default rule a model was trained with. Training stores
// the rule it resolved for its book in the training configuration
// (observations.dpd_threshold: 0 when the recorded defaults alone label).
func RuleOf(art *artifact.Artifact) (features.DefaultRule, error) {
	var cfg struct {
		Observations features.DefaultRule `json:"observations"`
	}
	if len(art.TrainingConfig) > 0 {
		if err := json.Unmarshal(art.TrainingConfig, &cfg); err != nil {
			return features.DefaultRule{}, fmt.Errorf("model %s: training config: %w", art.Version, err)
		}
	}
	cfg.Observations.DPDThreshold = max(cfg.Observations.DPDThreshold, 0)
	return cfg.Observations, nil
}

// Version is the model's registry version.
func (s *Scorer) Version() string { return s.Artifact.Version }

// Score scores h as of asOf with up to reasons reasons. buf, when large
// enough, holds the feature vector (Result.Features aliases it).
func (s *Scorer) Score(h *datasets.History, asOf datasets.Date, reasons int, buf []float64) (Result, error) {
	if asOf == datasets.NoDate {
		return Result{}, fmt.Errorf("score %s: no as-of date", h.CustomerID)
	}
	var p *features.Portfolio
	if s.Set.HasPortfolio() {
		var err error
		if p, err = s.Portfolio(asOf); err != nil {
			return Result{}, fmt.Errorf("score %s: %w", h.CustomerID, err)
		}
	}
	x := s.Set.BuildIn(h, asOf, p, buf[:0])
	r := Result{Features: x}
	if s.Rule.InDefault(h, asOf) {
		r.InDefault, r.PD, r.Grade = true, 1, grade.DefaultGrade
		r.Score = s.Points.Score(1)
		return r, nil
	}
	r.PD = s.Artifact.PD(x)
	if math.IsNaN(r.PD) {
		return Result{}, fmt.Errorf("score %s: the model gave no PD", h.CustomerID)
	}
	r.Grade = s.Scale.Grade(r.PD)
	r.Score = s.Points.Score(r.PD)
	if reasons > 0 {
		r.Reasons = s.Artifact.Model.Reasons(x, reasons)
	}
	return r, nil
}

// UseBook tells the scorer where the book it scores is, for the portfolio
// context of the dates it is asked about (computed once per context date
// and kept). dataDate, for a book that events keep current, is the latest
// date something happened in it: facts arrive in date order, so those
// dated before it are complete and a context dated on or before it is
// final; one dated after it is computed when asked and computed again once
// the data date has reached it. nil: a frozen book, every context final.
// Call it before scoring; a scorer whose model reads no context never
// reads the book.
func (s *Scorer) UseBook(each Histories, dataDate func() datasets.Date) {
	s.portfolioMu.Lock()
	defer s.portfolioMu.Unlock()
	s.book, s.dataDate = each, dataDate
}

// NewPortfolioAcc returns an empty accumulator of the portfolio context at
// the dates of asOfs, with the model's feature set and default rule, or
// nil when the model reads no context.
func (s *Scorer) NewPortfolioAcc(asOfs ...datasets.Date) *features.PortfolioAcc {
	return s.Set.NewPortfolioAcc(s.Rule, asOfs...)
}

// SetPortfolio gives the scorer contexts computed elsewhere (a first pass
// over the book), replacing any of the same date. They are kept for the
// scorer's life.
func (s *Scorer) SetPortfolio(ps ...*features.Portfolio) {
	s.portfolioMu.Lock()
	defer s.portfolioMu.Unlock()
	if s.given == nil {
		s.given = map[datasets.Date]*features.Portfolio{}
	}
	for _, p := range ps {
		s.given[p.Date] = p
	}
}

// maxPortfolios bounds the contexts a scorer keeps: a server asked about
// many dates forgets them all and starts again.
const maxPortfolios = 64

func (s *Scorer) cachePortfolio(d datasets.Date, e *portfolioEntry) {
	if s.portfolios == nil || len(s.portfolios) >= maxPortfolios {
		s.portfolios = map[datasets.Date]*portfolioEntry{}
	}
	s.portfolios[d] = e
}

// Portfolio returns the portfolio context a customer scored as of asOf
// sees: one given by SetPortfolio, else one computed from the book of
// UseBook in one pass, once per context date (concurrent callers wait for
// the same pass). A failed pass is not kept, so the next call tries again.
func (s *Scorer) Portfolio(asOf datasets.Date) (*features.Portfolio, error) {
	d := features.PortfolioDate(asOf)
	s.portfolioMu.Lock()
	if p, ok := s.given[d]; ok {
		s.portfolioMu.Unlock()
		return p, nil
	}
	e, ok := s.portfolios[d]
	book := s.book
	final := s.dataDate == nil || d <= s.dataDate()
	if ok && e.provisional && final && isDone(e) {
		ok = false // the facts before its date are complete now
	}
	if !ok {
		if book == nil {
			s.portfolioMu.Unlock()
			return nil, fmt.Errorf("model %s reads the portfolio context of the book as of %s, and the scorer was given no book", s.Artifact.Version, d)
		}
		e = &portfolioEntry{done: make(chan struct{}), provisional: !final}
		s.cachePortfolio(d, e)
	}
	s.portfolioMu.Unlock()
	if ok {
		<-e.done
		return e.p, e.err
	}
	acc := s.NewPortfolioAcc(d)
	e.err = book(func(h *datasets.History) error {
		acc.Add(h)
		return nil
	})
	if e.err == nil {
		e.p = acc.Finish()[0]
	} else {
		e.err = fmt.Errorf("portfolio context as of %s: %w", d, e.err)
		s.portfolioMu.Lock()
		if s.portfolios[d] == e {
			delete(s.portfolios, d)
		}
		s.portfolioMu.Unlock()
	}
	close(e.done)
	return e.p, e.err
}

func isDone(e *portfolioEntry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// ReasonsBlock returns, for each feature vector of X (rows of s.Set.Len()
// values one after the other, as Score builds them), the up to n reasons
// Score gives a customer not in default: the same reasons, computed a block
// of rows at a time where the model can (models.BlockReasoner), which batch
// rescoring uses.
func (s *Scorer) ReasonsBlock(X []float64, n int) [][]models.Reason {
	if br, ok := s.Artifact.Model.(models.BlockReasoner); ok {
		return br.ReasonsBlock(X, n)
	}
	p := s.Set.Len()
	out := make([][]models.Reason, len(X)/max(p, 1))
	if n <= 0 {
		return out
	}
	for r := range out {
		out[r] = s.Artifact.Model.Reasons(X[r*p:(r+1)*p], n)
	}
	return out
}

// PDs writes the PD of every row of X, feature vectors built by s.Set, to
// out: the batch form of Score for customers not in default (the same model
// and calibration), which back-tests use on labelled observations.
func (s *Scorer) PDs(X *models.Matrix, out []float64) { s.Artifact.PDs(X, out) }

// dbtFeature is the feature a limit reads for how late a customer pays.
const dbtFeature = "inv_dbt_wavg_12m"

// DefaultTermsDays is the payment term of a customer without invoices.
const DefaultTermsDays = 30

// LimitInputs are the facts of a history that a credit limit rests on,
// as of the scoring date.
type LimitInputs struct {
	// PaymentTermsDays is the median agreed term (due − issue date) of the
	// invoices issued before as_of (the lower middle value for an even
	// count, so always a term some invoice had); DefaultTermsDays without
	// any.
	PaymentTermsDays int
	// PeakMonthlySales is the largest amount invoiced in one of the twelve
	// months before as_of; NaN without any invoice in them.
	PeakMonthlySales float64
	// ExpectedDaysBeyondTerms is the feature inv_dbt_wavg_12m of the scored
	// vector (amount-weighted days beyond terms of the invoices paid in
	// the 12 months before as_of); 0 when nothing was paid or the model's
	// features do not read invoices.
	ExpectedDaysBeyondTerms float64
	// NetWorth, WorkingCapital and CurrentLimit are the customer's numeric
	// attributes of those names; NaN when unknown.
	NetWorth, WorkingCapital, CurrentLimit float64
}

// LimitInputs gathers what a credit limit needs of h as of asOf, given its
// score r (whose feature vector it reads).
func (s *Scorer) LimitInputs(h *datasets.History, asOf datasets.Date, r Result) LimitInputs {
	in := LimitInputs{
		PaymentTermsDays: DefaultTermsDays,
		PeakMonthlySales: math.NaN(),
		NetWorth:         attribute(h.Customer, s.netWorth),
		WorkingCapital:   attribute(h.Customer, s.workingCapital),
		CurrentLimit:     attribute(h.Customer, s.currentLimit),
	}
	if s.dbt >= 0 && s.dbt < len(r.Features) && !math.IsNaN(r.Features[s.dbt]) {
		in.ExpectedDaysBeyondTerms = r.Features[s.dbt]
	}
	edges := s.monthEdges(asOf)
	var sales [12]datasets.Amount
	anySales := false
	var termsBuf [64]int32
	terms := termsBuf[:0]
	for i := range h.Invoices {
		inv := &h.Invoices[i]
		if inv.IssueDate == datasets.NoDate || inv.IssueDate >= asOf {
			continue
		}
		if inv.DueDate != datasets.NoDate {
			terms = append(terms, int32(inv.DueDate-inv.IssueDate))
		}
		if inv.IssueDate >= edges[0] && inv.Amount != datasets.NoAmount {
			k := 11
			for inv.IssueDate < edges[k] {
				k--
			}
			sales[k] += inv.Amount
			anySales = true
		}
	}
	if len(terms) > 0 {
		in.PaymentTermsDays = max(1, int(lowerMedian(terms)))
	}
	if anySales {
		in.PeakMonthlySales = slices.Max(sales[:]).Float()
	}
	return in
}

// monthEdges bounds the twelve months before asOf: month k covers
// [edges[k], edges[k+1]).
func (s *Scorer) monthEdges(asOf datasets.Date) *[13]datasets.Date {
	s.monthsMu.Lock()
	defer s.monthsMu.Unlock()
	if e, ok := s.months[asOf]; ok {
		return e
	}
	if s.months == nil || len(s.months) >= 1024 {
		s.months = map[datasets.Date]*[13]datasets.Date{}
	}
	e := new([13]datasets.Date)
	for k := range e {
		e[k] = asOf.AddMonths(k - 12)
	}
	s.months[asOf] = e
	return e
}

// lowerMedian returns the lower middle value of x; x is reordered.
func lowerMedian(x []int32) int32 {
	if slices.Min(x) != slices.Max(x) {
		slices.Sort(x)
	}
	return x[(len(x)-1)/2]
}

func attribute(c *datasets.Customer, i int) float64 {
	if c == nil || i < 0 || i >= len(c.Numeric) {
		return math.NaN()
	}
	return c.Numeric[i]
}

// ComputePortfolios reads book once, in parallel on up to workers
// goroutines, and returns the portfolio contexts of set at the context
// dates of asOfs, in date order, with defaults dated by rule: the first
// pass of every batch that scores or builds observations with a set that
// reads them. progress, when set, is told how many customers were read.
func ComputePortfolios(ctx context.Context, book *datasets.Book, set *features.Set, rule features.DefaultRule, workers int, asOfs []datasets.Date, progress func(customers int64)) ([]*features.Portfolio, error) {
	total, err := AccumulatePortfolios(ctx, book, set, rule, workers, asOfs, progress)
	if total == nil || err != nil {
		return nil, err
	}
	return total.Finish(), nil
}

// AccumulatePortfolios is ComputePortfolios without the Finish: the counts
// of the book, which a pipeline merges with those of a book's other parts
// (nil when set reads no context).
func AccumulatePortfolios(ctx context.Context, book *datasets.Book, set *features.Set, rule features.DefaultRule, workers int, asOfs []datasets.Date, progress func(customers int64)) (*features.PortfolioAcc, error) {
	total := set.NewPortfolioAcc(rule, asOfs...)
	if total == nil {
		return nil, nil
	}
	type part struct {
		acc       *features.PortfolioAcc
		customers int
	}
	var seen int64
	err := datasets.Scan(ctx, book, workers, func(hs []*datasets.History) (part, error) {
		a := set.NewPortfolioAcc(rule, asOfs...)
		for _, h := range hs {
			a.Add(h)
		}
		return part{a, len(hs)}, nil
	}, func(pt part) error {
		seen += int64(pt.customers)
		if progress != nil {
			progress(seen)
		}
		return total.Merge(pt.acc)
	})
	if err != nil {
		return nil, fmt.Errorf("portfolio context of %s: %w", book.Dir, err)
	}
	return total, nil
}
