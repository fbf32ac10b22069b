package features

import (
	"fmt"
	"math"
	"slices"
)

// Limits on a Config. Build keeps its per-window accumulators and the
// latest statements in fixed-size arrays on the stack, so that it allocates
// nothing; these bound their sizes.
const (
	// MaxWindows is the most windows of each kind.
	MaxWindows = 8
	// MaxInvoiceWindowMonths is the longest invoice window (ten years).
	MaxInvoiceWindowMonths = 120
	// MaxStatementWindow is the most statements one window may summarise.
	MaxStatementWindow = 60
)

// Config chooses the windows and customer attributes of a feature set. It is
// saved with every model, so a model can be rebuilt from it.
//
// The zero Config is valid and means the same as DefaultConfig: empty window
// lists take the default windows, MinLevelShare 0 means 0.01 and MaxLevels 0
// means 20. A nil attribute list means every attribute of that kind in the
// book's schema.
type Config struct {
	// InvoiceWindows are the look-back windows of the invoice features, in
	// calendar months before as_of. Default 3, 6, 12, 24.
	InvoiceWindows []int `json:"invoice_windows,omitempty" yaml:"invoice_windows,omitempty"`
	// StatementWindows are the numbers of latest statements that the
	// statement features summarise. Default 3, 6, 12: the latest statement
	// is always described on its own, so a window of 1 would only repeat it.
	StatementWindows []int `json:"statement_windows,omitempty" yaml:"statement_windows,omitempty"`
	// NumericAttributes and CategoricalAttributes name the customers
	// columns to use; nil means all of that kind in the schema.
	NumericAttributes     []string `json:"numeric_attributes,omitempty" yaml:"numeric_attributes,omitempty"`
	CategoricalAttributes []string `json:"categorical_attributes,omitempty" yaml:"categorical_attributes,omitempty"`
	// ExcludeAttributes are customers columns never to use. Names the
	// schema lacks are ignored, so one list serves several books.
	ExcludeAttributes []string `json:"exclude_attributes,omitempty" yaml:"exclude_attributes,omitempty"`
	// MinLevelShare is the share of customers (or of statements, for
	// status codes) below which a categorical level is grouped into
	// "other". Default 0.01.
	MinLevelShare float64 `json:"min_level_share,omitempty" yaml:"min_level_share,omitempty"`
	// MaxLevels is the most levels one-hot encoded per categorical; the
	// rest go to "other". Default 20.
	MaxLevels int `json:"max_levels,omitempty" yaml:"max_levels,omitempty"`
	// SkipInvoices and SkipStatements leave out a whole block, for books
	// that have no such table.
	SkipInvoices   bool `json:"skip_invoices,omitempty" yaml:"skip_invoices,omitempty"`
	SkipStatements bool `json:"skip_statements,omitempty" yaml:"skip_statements,omitempty"`
	// Portfolio, when set, adds the portfolio block (see the package
	// documentation). Nil leaves it out, as in feature sets stored before
	// it existed, which keep their version.
	Portfolio *PortfolioConfig `json:"portfolio,omitempty" yaml:"portfolio,omitempty"`
}

// DefaultConfig returns the default windows and level rules, using every
// customer attribute.
func DefaultConfig() Config {
	return Config{
		InvoiceWindows:   []int{3, 6, 12, 24},
		StatementWindows: []int{3, 6, 12},
		MinLevelShare:    0.01,
		MaxLevels:        20,
	}
}

// normalized returns c with defaults filled in and windows sorted, or an
// error naming the first invalid setting. Slices are copied, so the result
// shares nothing with c.
func (c Config) normalized() (Config, error) {
	d := DefaultConfig()
	out := c
	out.InvoiceWindows = slices.Clone(c.InvoiceWindows)
	out.StatementWindows = slices.Clone(c.StatementWindows)
	out.NumericAttributes = slices.Clone(c.NumericAttributes)
	out.CategoricalAttributes = slices.Clone(c.CategoricalAttributes)
	out.ExcludeAttributes = slices.Clone(c.ExcludeAttributes)
	if c.Portfolio != nil {
		p := *c.Portfolio
		p.GroupBy = slices.Clone(p.GroupBy)
		switch {
		case p.Prior == 0:
			p.Prior = DefaultPortfolioPrior
		case !(p.Prior > 0) || math.IsInf(p.Prior, 0):
			return Config{}, fmt.Errorf("portfolio prior %v: want a number of customers > 0", p.Prior)
		}
		out.Portfolio = &p
	}
	if len(out.InvoiceWindows) == 0 {
		out.InvoiceWindows = d.InvoiceWindows
	}
	if len(out.StatementWindows) == 0 {
		out.StatementWindows = d.StatementWindows
	}
	if err := checkWindows("invoice_windows", out.InvoiceWindows, MaxInvoiceWindowMonths); err != nil {
		return Config{}, err
	}
	if err := checkWindows("statement_windows", out.StatementWindows, MaxStatementWindow); err != nil {
		return Config{}, err
	}
	switch {
	case out.MinLevelShare == 0:
		out.MinLevelShare = d.MinLevelShare
	case !(out.MinLevelShare > 0 && out.MinLevelShare <= 1):
		return Config{}, fmt.Errorf("min_level_share %v: want a share in (0, 1]", c.MinLevelShare)
	}
	switch {
	case out.MaxLevels == 0:
		out.MaxLevels = d.MaxLevels
	case out.MaxLevels < 0:
		return Config{}, fmt.Errorf("max_levels %d: want a positive number", c.MaxLevels)
	}
	return out, nil
}

// checkWindows sorts w in place and checks its sizes.
func checkWindows(what string, w []int, most int) error {
	if len(w) > MaxWindows {
		return fmt.Errorf("%s: %d windows; at most %d", what, len(w), MaxWindows)
	}
	slices.Sort(w)
	for i, n := range w {
		if n < 1 || n > most {
			return fmt.Errorf("%s: window %d out of range [1, %d]", what, n, most)
		}
		if i > 0 && w[i-1] == n {
			return fmt.Errorf("%s: window %d given twice", what, n)
		}
	}
	return nil
}
