// Package rescore scores a whole customer book with a stored model: every
// customer as of one date, or every row of the book's observations table.
// Each scored row carries the PD, grade, score, the recommended credit
// limit and the top reasons, built through models/scoring and serve/limit,
// so a batch score is the score the server would give. A summary (grade
// distribution, limit and expected-loss totals, drift of the PD against
// training and, given an earlier output, the grade migration and an
// early-warning list) is kept as the book streams by.
package rescore

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/serve/limit"
)

// Reasons is the number of reasons kept per row.
const Reasons = 3

// Row is one scored (customer, as_of): the row of the output file.
type Row struct {
	CustomerID string
	AsOf       datasets.Date
	PD         float64
	Grade      int
	Score      float64
	// RecommendedLimit is what the limit policy allows, asked for no
	// particular amount; NaN when it cannot be computed.
	RecommendedLimit float64
	// Currency is the ISO 4217 code of the limit, the book's currency.
	Currency string
	// Reasons are the features that raised the PD the most, largest
	// first; "" where there are fewer (none for a customer in default).
	// ReasonTexts put each in words with its value.
	Reasons      [Reasons]string
	ReasonTexts  [Reasons]string
	ModelVersion string
}

// Why a customer or an observation gets no row.
const (
	// SkipNoHistory: no invoice issued and no statement period ended
	// before as_of.
	SkipNoHistory = "no history before as_of"
	// SkipOtherKind: history before as_of, but only of a kind the model
	// does not read (statements only for an invoice model, say).
	SkipOtherKind = "no data of the model's kind"
	// SkipNoObservation: scoring the observations table, the customer has
	// no row in it.
	SkipNoObservation = "not in the observations table"
)

// Config says what to score and how.
type Config struct {
	// AsOf scores every customer with history before it. NoDate scores
	// every row of the book's observations table instead.
	AsOf datasets.Date
	// Policy gives the recommended limit (requested amount 0: what the
	// policy allows). It must be valid.
	Policy limit.Policy
	// Workers is the number of scoring goroutines; 0 means one per core.
	Workers int
	// Previous, when not nil, is an earlier output to compare with: the
	// grade migration and the largest PD rises.
	Previous *Previous
	// Progress, when not nil, is called from a single goroutine with the
	// number of customers read so far.
	Progress func(customers int64)
	// Latest, when not nil, is called from a single goroutine, in book
	// order, with each customer's latest row: the one compared with an
	// earlier output. A pipeline that scores the book in parts joins these
	// with the earlier output by customer (see Moves).
	Latest func(*Row)
	// Portfolios, when not nil, are the portfolio contexts of the whole
	// book at every date scored (see PortfolioDates), computed elsewhere:
	// by a pipeline that merges the contexts of the book's parts. RunPart
	// gives them to the scorer and makes no portfolio pass of its own,
	// which over one part would see that part alone.
	Portfolios []*features.Portfolio
}

// DefaultConfig scores as of asOf with the default limit policy.
func DefaultConfig(asOf datasets.Date) Config {
	return Config{AsOf: asOf, Policy: limit.DefaultPolicy()}
}

// Sink receives the scored rows in book order.
type Sink interface {
	Write(rows []Row) error
}

// Run scores the book with s and hands every row to out in book order
// (customer_id, then as_of). It reads the book once, in parallel where the
// book is partitioned, holding a few chunks of customers at a time; the
// summary is of fixed size (the PDs are kept as counts on the reference's
// bins, for their stability index). The summary is returned only when the whole book was
// scored; on error or cancellation out has seen only part of it.
func Run(ctx context.Context, book *datasets.Book, s *scoring.Scorer, cfg Config, out Sink) (*Summary, error) {
	sum, err := RunPart(ctx, book, s, cfg, out)
	if err != nil {
		return nil, err
	}
	sum.finish()
	return sum, nil
}

// RunPart is Run on one part of a book (see datasets.Book.Partitions)
// scored apart from the others, on another machine perhaps: its summary is
// not finished, so that the parts' summaries can be merged (Summary.Merge)
// and finished once. cfg.Previous must be nil unless book is the whole
// book.
func RunPart(ctx context.Context, book *datasets.Book, s *scoring.Scorer, cfg Config, out Sink) (*Summary, error) {
	if cfg.AsOf == datasets.NoDate && !book.Has(datasets.Observations) {
		return nil, fmt.Errorf("rescore %s: no as-of date and no observations table", book.Dir)
	}
	if err := cfg.Policy.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	if err := portfolioPass(ctx, book, s, cfg); err != nil {
		return nil, err
	}
	sc := &scorer{s: s, cfg: cfg, currency: book.Meta.Currency}
	sum := newSummary(s, cfg)
	if s.Set.HasPortfolio() {
		sum.PortfolioPass = time.Since(start)
	}
	err := datasets.Scan(ctx, book, cfg.Workers, sc.chunk, func(c *chunk) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := out.Write(c.rows); err != nil {
			return err
		}
		sum.add(c, cfg.Latest)
		if cfg.Progress != nil {
			cfg.Progress(sum.Customers)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// portfolioPass gives s the portfolio context of the book at every date
// scored, in a first pass over the book, when its model reads one, unless
// cfg gives the contexts.
func portfolioPass(ctx context.Context, book *datasets.Book, s *scoring.Scorer, cfg Config) error {
	if !s.Set.HasPortfolio() {
		return nil
	}
	if cfg.Portfolios != nil {
		s.SetPortfolio(cfg.Portfolios...)
		return nil
	}
	dates, err := PortfolioDates(ctx, book, cfg)
	if err != nil {
		return err
	}
	ps, err := scoring.ComputePortfolios(ctx, book, s.Set, s.Rule, cfg.Workers, dates, nil)
	if err != nil {
		return err
	}
	s.SetPortfolio(ps...)
	return nil
}

// PortfolioDates returns the dates a rescore with cfg scores as of, whose
// portfolio contexts a model that reads them needs: cfg.AsOf, or the
// dates of the book's observations table (found in a pass of their own),
// as their features.PortfolioDate, sorted.
func PortfolioDates(ctx context.Context, book *datasets.Book, cfg Config) ([]datasets.Date, error) {
	if cfg.AsOf != datasets.NoDate {
		return []datasets.Date{features.PortfolioDate(cfg.AsOf)}, nil
	}
	seen := map[datasets.Date]bool{}
	err := datasets.Scan(ctx, book, cfg.Workers, func(hs []*datasets.History) ([]datasets.Date, error) {
		var ds []datasets.Date
		for _, h := range hs {
			for _, d := range h.Observations {
				ds = append(ds, features.PortfolioDate(d))
			}
		}
		return ds, nil
	}, func(ds []datasets.Date) error {
		for _, d := range ds {
			seen[d] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// scorer holds what every chunk needs; it is shared by the workers and
// never written after Run starts them.
type scorer struct {
	s        *scoring.Scorer
	cfg      Config
	currency string // the book's, of every amount
}

// extra is what the summary needs of a row beyond the file.
type extra struct {
	expectedLoss float64
	inDefault    bool
	// latest marks the customer's row with the latest as_of, the one
	// compared with an earlier output.
	latest bool
}

// chunk is the work of one chunk of customers.
type chunk struct {
	rows            []Row
	extras          []extra // one per row
	customers       int64
	observations    int64
	skipped         map[string]int64
	limitErrors     int64
	firstLimitErr   error
	firstLimitErrAt rowKey
}

// chunk scores a chunk of histories. It runs on several goroutines.
func (sc *scorer) chunk(hs []*datasets.History) (*chunk, error) {
	c := &chunk{customers: int64(len(hs)), rows: make([]Row, 0, len(hs)), extras: make([]extra, 0, len(hs))}
	buf := make([]float64, sc.s.Set.Len())
	skip := func(reason string) {
		if c.skipped == nil {
			c.skipped = map[string]int64{}
		}
		c.skipped[reason]++
	}
	var one [1]datasets.Date
	var vectors []float64 // the feature vectors of the rows that get reasons
	var needReasons []int // their rows in c.rows
	for _, h := range hs {
		dates := h.Observations
		if sc.cfg.AsOf == datasets.NoDate {
			c.observations += int64(len(dates))
			if len(dates) == 0 {
				skip(SkipNoObservation)
				continue
			}
		} else {
			if reason := sc.skipReason(h, sc.cfg.AsOf); reason != "" {
				skip(reason)
				continue
			}
			one[0] = sc.cfg.AsOf
			dates = one[:]
		}
		latest := slices.Max(dates)
		latestSeen := false
		for _, asOf := range dates {
			// Reasons come after the loop, for the chunk's rows at once.
			r, err := sc.s.Score(h, asOf, 0, buf)
			if err != nil {
				return nil, err
			}
			row := Row{CustomerID: h.CustomerID, AsOf: asOf, PD: r.PD, Grade: r.Grade, Score: r.Score, Currency: sc.currency, ModelVersion: sc.s.Version()}
			ex := extra{inDefault: r.InDefault}
			if !r.InDefault {
				vectors = append(vectors, r.Features...)
				needReasons = append(needReasons, len(c.rows))
			}
			// A customer in default gets no credit whatever else is known:
			// the policy's default-grade rule says so, as it does online.
			dec, err := sc.cfg.Policy.DecideFigures(limit.RequestFor(h.CustomerID, asOf, r, sc.s.LimitInputs(h, asOf, r)))
			if err != nil {
				row.RecommendedLimit, ex.expectedLoss = math.NaN(), math.NaN()
				c.limitErrors++
				if c.firstLimitErr == nil {
					c.firstLimitErr = fmt.Errorf("customer %s as of %s: %w", h.CustomerID, asOf, err)
					c.firstLimitErrAt = rowKey{h.CustomerID, asOf}
				}
			} else {
				row.RecommendedLimit, ex.expectedLoss = dec.RecommendedLimit, dec.ExpectedLoss
			}
			if asOf == latest && !latestSeen {
				ex.latest, latestSeen = true, true
			}
			c.rows = append(c.rows, row)
			c.extras = append(c.extras, ex)
		}
	}
	for k, reasons := range sc.s.ReasonsBlock(vectors, Reasons) {
		row := &c.rows[needReasons[k]]
		for j, reason := range reasons[:min(len(reasons), Reasons)] {
			row.Reasons[j] = reason.Feature
			row.ReasonTexts[j] = scoring.Describe(reason.Feature, reason.Value) + " (raises risk)"
		}
	}
	return c, nil
}

// skipReason says why h has nothing to score as of asOf, or "".
func (sc *scorer) skipReason(h *datasets.History, asOf datasets.Date) string {
	return SkipReason(sc.s, h, asOf)
}

// SkipReason says why rescoring skips a customer at asOf (SkipNoHistory,
// SkipOtherKind), or "" when it scores it. The server refuses the same
// customers, so that one customer gets the same answer from both.
func SkipReason(s *scoring.Scorer, h *datasets.History, asOf datasets.Date) string {
	fc := s.Set.Config
	if fc.SkipInvoices && fc.SkipStatements {
		if h.Customer == nil {
			return SkipOtherKind
		}
		return ""
	}
	inv, st := false, false
	for i := range h.Invoices {
		if d := h.Invoices[i].IssueDate; d != datasets.NoDate && d < asOf {
			inv = true
			break
		}
	}
	for i := range h.Statements {
		if d := h.Statements[i].PeriodEnd; d != datasets.NoDate && d < asOf {
			st = true
			break
		}
	}
	switch {
	case !inv && !st:
		return SkipNoHistory
	case !(inv && !fc.SkipInvoices) && !(st && !fc.SkipStatements):
		return SkipOtherKind
	}
	return ""
}
