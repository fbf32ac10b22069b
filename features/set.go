package features

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/credence-risk/credence/datasets"
)

// definitions names the version of the feature definitions in this file and
// build.go. Change it whenever a feature's meaning changes without its name
// changing; a changed name or config changes Version by itself.
const definitions = "pit-1"

// ErrVersion reports a stored feature set whose version this build of
// Credence does not compute: the features of the model that stored it are
// defined differently here, and scoring with them would be silently wrong.
var ErrVersion = errors.New("feature set version mismatch")

// Set is a fitted, versioned feature set: the names, order and meaning of
// the values Build returns. It is serialisable (JSON) so that a model
// artifact can store it; decoding checks that this build of Credence
// computes the same Version. A Set comes from NewSet or from decoding one;
// it is immutable and safe for concurrent use.
type Set struct {
	// Version is "pit-1-" followed by a hash of the names and config; it
	// changes whenever names or definitions change.
	Version string `json:"version"`
	// Config is the normalised configuration (defaults filled in).
	Config Config `json:"config"`
	// Schema is the layout of the customers rows that Build reads (see
	// ForSchema to score a book whose layout differs).
	Schema datasets.CustomerSchema `json:"schema"`
	// NumericAttributes and CategoricalAttributes are the customer
	// attributes used, in feature order.
	NumericAttributes     []string `json:"numeric_attributes"`
	CategoricalAttributes []string `json:"categorical_attributes"`
	// Levels holds the one-hot levels of each categorical attribute; any
	// other value is encoded as "other".
	Levels map[string][]string `json:"levels"`
	// StatusLevels are the one-hot levels of non-numeric statement status
	// codes.
	StatusLevels []string `json:"status_levels"`

	names       []string
	nonNegative []bool // the feature is never negative (counts, balances, shares)
	numIdx      []int  // position of each numeric attribute in Schema.Numeric, or -1
	catIdx      []int  // position of each categorical attribute in Schema.Categorical, or -1
	catLevels   [][]string
	periods     int   // latest statements Build keeps: the largest window, and at least 4
	portKeys    []int // position of each portfolio grouping attribute in Schema.Categorical
	portLimit   int   // position of the credit limit in Schema.Numeric when inv_limit_use is a feature, else -1
}

// NewSet decides the categorical levels from levels (nil: none, so every
// value is "other") and fixes the feature names and order. It fails on an
// invalid config or on attributes the schema lacks.
func NewSet(cfg Config, schema datasets.CustomerSchema, levels *LevelCounter) (*Set, error) {
	c, err := cfg.normalized()
	if err != nil {
		return nil, fmt.Errorf("feature config: %w", err)
	}
	num, err := pickAttributes("numeric", c.NumericAttributes, schema.Numeric, schema.Categorical, c.ExcludeAttributes)
	if err != nil {
		return nil, fmt.Errorf("feature config: %w", err)
	}
	cat, err := pickAttributes("categorical", c.CategoricalAttributes, schema.Categorical, schema.Numeric, c.ExcludeAttributes)
	if err != nil {
		return nil, fmt.Errorf("feature config: %w", err)
	}
	s := &Set{
		Config:                c,
		Schema:                cloneSchema(schema),
		NumericAttributes:     num,
		CategoricalAttributes: cat,
		Levels:                make(map[string][]string, len(cat)),
		StatusLevels:          []string{},
	}
	if levels != nil && !slices.Equal(levels.schema.Categorical, schema.Categorical) {
		return nil, fmt.Errorf("feature set: level counts were taken with categorical attributes %q, the schema has %q", levels.schema.Categorical, schema.Categorical)
	}
	for _, a := range cat {
		s.Levels[a] = []string{}
		if levels != nil {
			i := schema.CategoricalIndex(a)
			s.Levels[a] = chooseLevels(levels.levels[i], levels.customers, c.MinLevelShare, c.MaxLevels)
		}
	}
	if levels != nil && !c.SkipStatements {
		s.StatusLevels = chooseLevels(levels.status, levels.statuses, c.MinLevelShare, c.MaxLevels)
	}
	if p := s.Config.Portfolio; p != nil {
		if p.GroupBy == nil {
			p.GroupBy = []string{}
			for _, a := range DefaultPortfolioGroups {
				if slices.Contains(schema.Categorical, a) {
					p.GroupBy = append(p.GroupBy, a)
				}
			}
		}
		for i, a := range p.GroupBy {
			if !slices.Contains(schema.Categorical, a) {
				return nil, fmt.Errorf("feature config: portfolio group_by: attribute %q is not categorical in the customers table", a)
			}
			if slices.Contains(p.GroupBy[:i], a) {
				return nil, fmt.Errorf("feature config: portfolio group_by: attribute %q given twice", a)
			}
		}
	}
	if err := s.init(); err != nil {
		return nil, err
	}
	s.Version = s.version()
	return s, nil
}

// pickAttributes returns the attributes of one kind to use: want (nil: all
// of have), less exclude. A wanted name of the other kind or of no kind is
// an error.
func pickAttributes(kind string, want, have, other, exclude []string) ([]string, error) {
	if want == nil {
		want = have
	}
	out := []string{}
	for _, a := range want {
		if !slices.Contains(have, a) {
			if slices.Contains(other, a) {
				return nil, fmt.Errorf("attribute %q is not %s in the customers table", a, kind)
			}
			return nil, fmt.Errorf("attribute %q is not in the customers table", a)
		}
		if slices.Contains(out, a) {
			return nil, fmt.Errorf("attribute %q given twice", a)
		}
		if !slices.Contains(exclude, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

func cloneSchema(s datasets.CustomerSchema) datasets.CustomerSchema {
	return datasets.CustomerSchema{Numeric: slices.Clone(s.Numeric), Categorical: slices.Clone(s.Categorical)}
}

// column is one feature of a block: its name (before any window suffix) and
// whether its value is never negative.
type column struct {
	name        string
	nonNegative bool
}

// The feature blocks, in the order Build appends them. The package
// documentation defines each feature.
var (
	invWindowColumns = [...]column{
		{"inv_count", true},
		{"inv_amount", true},
		{"inv_paid_count", true},
		{"inv_dbt_wavg", false},
		{"inv_dbt_max", false},
		{"inv_late_share", true},
		{"inv_late30_share", true},
		{"inv_paydex", true},
		{"inv_partial_share", true},
		{"inv_dispute_share", true},
	}
	invColumns = [...]column{
		{"inv_history_months", true},
		{"inv_open_count", true},
		{"inv_open_balance", true},
		{"inv_balance_current", true},
		{"inv_balance_1_30", true},
		{"inv_balance_31_60", true},
		{"inv_balance_61_90", true},
		{"inv_balance_90p", true},
		{"inv_overdue_balance", true},
		{"inv_overdue_share", true},
		{"inv_max_dpd", true},
		{"inv_months_since_late", true},
		{"inv_dbt_trend", false},
		{"inv_dso", true},
		{"inv_growth_3m", false},
	}
	// stLatestColumns come first, then the status one-hot columns, then
	// stLatestColumns2.
	stLatestColumns = [...]column{
		{"st_count", true},
		{"st_months_since_latest", true},
		{"st_dpd", true},
		{"st_status_num", false},
	}
	stLatestColumns2 = [...]column{
		{"st_balance", false},
		{"st_payment", false},
		{"st_credit_limit", false},
		{"st_utilisation", false},
		{"st_util_trend", false},
		{"st_pay_ratio", false},
		{"st_pay_ratio_mean3", false},
		{"st_months_since_delinquent", true},
		{"st_prev_dpd", true},
		{"st_prev_status_num", false},
		{"st_prev_balance", false},
		{"st_prev_payment", false},
		{"st_dpd_change", false},
	}
	stWindowColumns = [...]column{
		{"st_dpd_max", true},
		{"st_dpd_mean", true},
		{"st_delinquent", true},
		{"st_status_num_mean", false},
		{"st_util_mean", false},
		{"st_balance_mean", false},
		{"st_payment_mean", false},
	}
	// stCountColumns count the latest statements of the largest window by
	// days past due.
	stCountColumns = [...]column{
		{"st_n_current", true},
		{"st_n_dpd1_29", true},
		{"st_n_dpd30_59", true},
		{"st_n_dpd60_89", true},
		{"st_n_dpd90p", true},
		{"st_n_dpd_unknown", true},
	}
)

// init derives the names and the customer layout from the exported fields.
func (s *Set) init() error {
	c, err := s.Config.normalized()
	if err != nil {
		return fmt.Errorf("feature config: %w", err)
	}
	s.Config = c
	s.names, s.nonNegative = nil, nil
	add := func(name string, nonNegative bool) {
		s.names = append(s.names, name)
		s.nonNegative = append(s.nonNegative, nonNegative)
	}
	if !c.SkipInvoices {
		for _, m := range c.InvoiceWindows {
			suffix := "_" + strconv.Itoa(m) + "m"
			for _, col := range invWindowColumns {
				add(col.name+suffix, col.nonNegative)
			}
		}
		for _, col := range invColumns {
			add(col.name, col.nonNegative)
		}
	}
	s.periods = max(4, c.StatementWindows[len(c.StatementWindows)-1])
	if !c.SkipStatements {
		for _, col := range stLatestColumns {
			add(col.name, col.nonNegative)
		}
		for _, l := range s.StatusLevels {
			add("st_status="+l, true)
		}
		add("st_status="+otherLevel, true)
		for _, col := range stLatestColumns2 {
			add(col.name, col.nonNegative)
		}
		for _, n := range c.StatementWindows {
			suffix := "_" + strconv.Itoa(n) + "p"
			for _, col := range stWindowColumns {
				add(col.name+suffix, col.nonNegative)
			}
		}
		suffix := "_" + strconv.Itoa(c.StatementWindows[len(c.StatementWindows)-1]) + "p"
		for _, col := range stCountColumns {
			add(col.name+suffix, col.nonNegative)
		}
	}
	add("cust_missing", true)
	for _, a := range s.NumericAttributes {
		add("cust_"+a, false)
	}
	s.catLevels = make([][]string, len(s.CategoricalAttributes))
	for i, a := range s.CategoricalAttributes {
		lv, ok := s.Levels[a]
		if !ok {
			return fmt.Errorf("feature set: no levels for categorical attribute %q", a)
		}
		s.catLevels[i] = lv
		for _, l := range lv {
			add("cust_"+a+"="+l, true)
		}
		add("cust_"+a+"="+otherLevel, true)
	}
	s.portfolioNames(add)
	if dup := firstDuplicate(s.names); dup != "" {
		return fmt.Errorf("feature set: feature %q named twice (a level clashes with another name)", dup)
	}
	return s.bind()
}

// bind maps the attributes used to their positions in s.Schema.
func (s *Set) bind() error {
	s.numIdx = make([]int, len(s.NumericAttributes))
	for i, a := range s.NumericAttributes {
		if s.numIdx[i] = s.Schema.NumericIndex(a); s.numIdx[i] < 0 {
			return fmt.Errorf("feature set: numeric attribute %q is not in the customers schema %v", a, s.Schema.Numeric)
		}
	}
	s.catIdx = make([]int, len(s.CategoricalAttributes))
	for i, a := range s.CategoricalAttributes {
		if s.catIdx[i] = s.Schema.CategoricalIndex(a); s.catIdx[i] < 0 {
			return fmt.Errorf("feature set: categorical attribute %q is not in the customers schema %v", a, s.Schema.Categorical)
		}
	}
	s.portKeys, s.portLimit = nil, -1
	if p := s.Config.Portfolio; p != nil {
		for _, a := range p.GroupBy {
			i := s.Schema.CategoricalIndex(a)
			if i < 0 {
				return fmt.Errorf("feature set: portfolio grouping attribute %q is not in the customers schema %v", a, s.Schema.Categorical)
			}
			s.portKeys = append(s.portKeys, i)
		}
		if !s.Config.SkipInvoices && slices.Contains(s.NumericAttributes, limitAttribute) {
			s.portLimit = s.Schema.NumericIndex(limitAttribute)
		}
	}
	return nil
}

func firstDuplicate(names []string) string {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return n
		}
		seen[n] = true
	}
	return ""
}

// version hashes the definitions, the config and the names.
func (s *Set) version() string {
	h := sha256.New()
	cfg, err := json.Marshal(s.Config)
	if err != nil {
		panic(err) // a Config always marshals
	}
	fmt.Fprintf(h, "%s\n%s\n", definitions, cfg)
	for _, n := range s.names {
		fmt.Fprintf(h, "%s\n", n)
	}
	return definitions + "-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// ForSchema returns a copy of s that reads customers rows laid out by schema:
// for scoring a book whose customers table orders its columns differently
// from the training book. Version and names are unchanged. It fails when an
// attribute s uses is not in schema as the same kind.
func (s *Set) ForSchema(schema datasets.CustomerSchema) (*Set, error) {
	t := *s
	t.Schema = cloneSchema(schema)
	if err := t.bind(); err != nil {
		return nil, err
	}
	return &t, nil
}

// UnmarshalJSON decodes a stored Set and rebuilds its layout. It returns an
// error wrapping ErrVersion when this build computes a different Version
// from the stored names and config.
func (s *Set) UnmarshalJSON(b []byte) error {
	type stored Set // without methods, so that decoding does not recurse
	var d stored
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("decode feature set: %w", err)
	}
	t := Set(d)
	if t.Levels == nil {
		t.Levels = map[string][]string{}
	}
	if err := t.init(); err != nil {
		return fmt.Errorf("decode feature set: %w", err)
	}
	if v := t.version(); v != t.Version {
		return fmt.Errorf("decode feature set: %w: stored %q, this build computes %q", ErrVersion, t.Version, v)
	}
	*s = t
	return nil
}

// Names returns the feature names in the order Build writes the values.
func (s *Set) Names() []string { return slices.Clone(s.names) }

// Len returns the number of features.
func (s *Set) Len() int { return len(s.names) }

// Index returns the position of the named feature, or -1.
func (s *Set) Index(name string) int { return slices.Index(s.names, name) }
