package scorecard

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/credence-risk/credence/models"
)

// formatVersion is the layout version of the JSON form.
const formatVersion = 1

// modelJSON is the saved form of a Model: the full scorecard table with
// its scaling, regression and selection. encoding/json writes float64 in
// the shortest form that parses back to the same bits, so a reloaded
// scorecard scores bit for bit as the saved one.
type modelJSON struct {
	Family      string      `json:"family"`
	Version     int         `json:"version"`
	Features    []string    `json:"features"`
	Scaling     Scaling     `json:"scaling"`
	Intercept   float64     `json:"intercept"`
	RoundPoints bool        `json:"round_points"`
	Variables   []Variable  `json:"variables"`
	Candidates  []Candidate `json:"candidates"`
	Config      Config      `json:"config"`
	Iterations  int         `json:"iterations"`
	Converged   bool        `json:"converged"`
}

// MarshalJSON writes the scorecard in the form Decode reads.
func (m *Model) MarshalJSON() ([]byte, error) {
	return json.Marshal(modelJSON{
		Family:      Name,
		Version:     formatVersion,
		Features:    m.features,
		Scaling:     m.scaling,
		Intercept:   m.intercept,
		RoundPoints: m.roundPoints,
		Variables:   m.vars,
		Candidates:  m.candidates,
		Config:      m.config,
		Iterations:  m.iterations,
		Converged:   m.converged,
	})
}

// binJSON is a Bin as saved: JSON has no infinities, so an open bound is
// left out.
type binJSON struct {
	Kind      string   `json:"kind"`
	Lower     *float64 `json:"lower,omitempty"`
	Upper     *float64 `json:"upper,omitempty"`
	Value     *float64 `json:"value,omitempty"`
	Count     float64  `json:"count"`
	Events    float64  `json:"events"`
	EventRate float64  `json:"event_rate"`
	WoE       float64  `json:"woe"`
	IV        float64  `json:"iv"`
	Neutral   bool     `json:"neutral,omitempty"`
	Points    float64  `json:"points"`
}

// MarshalJSON writes the bin with its bounds (range), value (special) or
// neither (missing).
func (b Bin) MarshalJSON() ([]byte, error) {
	j := binJSON{Kind: b.Kind, Count: b.Count, Events: b.Events, EventRate: b.EventRate,
		WoE: b.WoE, IV: b.IV, Neutral: b.Neutral, Points: b.Points}
	switch b.Kind {
	case KindRange:
		if !math.IsInf(b.Lower, -1) {
			j.Lower = &b.Lower
		}
		if !math.IsInf(b.Upper, 1) {
			j.Upper = &b.Upper
		}
	case KindSpecial:
		j.Value = &b.Value
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a bin written by MarshalJSON.
func (b *Bin) UnmarshalJSON(data []byte) error {
	var j binJSON
	if err := models.DecodeStrict(data, &j); err != nil {
		return err
	}
	*b = Bin{Kind: j.Kind, Count: j.Count, Events: j.Events, EventRate: j.EventRate,
		WoE: j.WoE, IV: j.IV, Neutral: j.Neutral, Points: j.Points}
	switch j.Kind {
	case KindRange:
		if j.Value != nil {
			return errors.New("range bin with a value")
		}
		b.Lower, b.Upper = math.Inf(-1), math.Inf(1)
		if j.Lower != nil {
			b.Lower = *j.Lower
		}
		if j.Upper != nil {
			b.Upper = *j.Upper
		}
	case KindSpecial:
		if j.Value == nil || j.Lower != nil || j.Upper != nil {
			return errors.New("special bin needs a value and no bounds")
		}
		b.Value = *j.Value
	case KindMissing:
		if j.Value != nil || j.Lower != nil || j.Upper != nil {
			return errors.New("missing bin with a value or bounds")
		}
	default:
		return fmt.Errorf("bin kind %q", j.Kind)
	}
	return nil
}

// Decode reads a scorecard written by MarshalJSON and checks that its
// bins cover every value exactly once.
func Decode(b []byte) (models.Model, error) {
	var j modelJSON
	if err := models.DecodeStrict(b, &j); err != nil {
		return nil, fmt.Errorf("scorecard: decode: %w", err)
	}
	if err := j.check(); err != nil {
		return nil, fmt.Errorf("scorecard: decode: %w", err)
	}
	m := &Model{
		features:    j.Features,
		scaling:     j.Scaling,
		intercept:   j.Intercept,
		roundPoints: j.RoundPoints,
		vars:        j.Variables,
		candidates:  j.Candidates,
		config:      j.Config,
		iterations:  j.Iterations,
		converged:   j.Converged,
	}
	m.compile()
	return m, nil
}

func (j *modelJSON) check() error {
	if j.Family != Name {
		return fmt.Errorf("family %q; want %q", j.Family, Name)
	}
	if j.Version != formatVersion {
		return fmt.Errorf("version %d; want %d", j.Version, formatVersion)
	}
	if dup := firstDuplicate(j.Features); dup != "" {
		return fmt.Errorf("feature %q twice", dup)
	}
	if err := j.Scaling.check(); err != nil {
		return err
	}
	if _, err := j.Config.withDefaults(j.Features); err != nil {
		return err
	}
	if len(j.Variables) == 0 {
		return errors.New("no variables")
	}
	for k := range j.Variables {
		v := &j.Variables[k]
		if v.Column < 0 || v.Column >= len(j.Features) || j.Features[v.Column] != v.Feature {
			return fmt.Errorf("variable %q at column %d of %d features", v.Feature, v.Column, len(j.Features))
		}
		if k > 0 && v.Column <= j.Variables[k-1].Column {
			return fmt.Errorf("variable %q out of column order", v.Feature)
		}
		switch v.Trend {
		case TrendAscending, TrendDescending, TrendNone, trendFixed:
		default:
			return fmt.Errorf("variable %q: trend %q", v.Feature, v.Trend)
		}
		if err := checkBins(v.Bins, j.RoundPoints); err != nil {
			return fmt.Errorf("variable %q: %w", v.Feature, err)
		}
	}
	return nil
}

// checkBins checks that bins are range bins covering (−∞, +∞) in order,
// then special bins by increasing value, then one missing bin.
func checkBins(bins []Bin, whole bool) error {
	var ranges, specials int
	for ranges < len(bins) && bins[ranges].Kind == KindRange {
		ranges++
	}
	for ranges+specials < len(bins) && bins[ranges+specials].Kind == KindSpecial {
		specials++
	}
	if ranges == 0 || ranges+specials != len(bins)-1 || bins[len(bins)-1].Kind != KindMissing {
		return errors.New("bins are not ranges, then specials, then one missing bin")
	}
	if !math.IsInf(bins[0].Lower, -1) || !math.IsInf(bins[ranges-1].Upper, 1) {
		return errors.New("range bins do not reach −∞ and +∞")
	}
	for k, b := range bins {
		if k < ranges {
			if !(b.Lower < b.Upper) || (k > 0 && b.Lower != bins[k-1].Upper) {
				return fmt.Errorf("range bin %s does not follow the one before", b.Label())
			}
		}
		if k > ranges && k < ranges+specials && !(b.Value > bins[k-1].Value) {
			return fmt.Errorf("special values out of order at %s", b.Label())
		}
		if !(b.Count >= 0 && b.Events >= 0 && b.Events <= b.Count) {
			return fmt.Errorf("bin %s: %v events of %v rows", b.Label(), b.Events, b.Count)
		}
		if whole && b.Points != math.Trunc(b.Points) {
			return fmt.Errorf("bin %s: points %v are not whole", b.Label(), b.Points)
		}
	}
	return nil
}

// SQL returns a SQL expression for the score of a row:
//
//	CASE WHEN "f" IS NULL THEN p WHEN "f" = -1 THEN p WHEN "f" < 2 THEN p … ELSE p END
//	+ CASE … END + …
//
// one CASE per feature, summing the same points in the same order as
// Score. Columns are double-quoted identifiers (feature names hold "="
// and other characters), qualified by table when it is not empty; SQL
// NULL is a missing value. Whole points are written as integers, so the
// sum is exact in any SQL engine; fractional points in their shortest
// exact decimal form. The quoting is standard SQL (PostgreSQL, SQLite,
// DuckDB, Oracle; MySQL needs ANSI_QUOTES).
func (m *Model) SQL(table string) string {
	var sb strings.Builder
	for k := range m.vars {
		v := &m.vars[k]
		sc := &m.score[k]
		col := QuoteIdent(v.Feature)
		if table != "" {
			col = QuoteIdent(table) + "." + col
		}
		if k > 0 {
			sb.WriteString("\n+ ")
		}
		nRange := len(sc.cuts) + 1
		fmt.Fprintf(&sb, "CASE WHEN %s IS NULL THEN %s", col, sqlNumber(sc.points[len(sc.points)-1]))
		for s, val := range sc.special {
			fmt.Fprintf(&sb, " WHEN %s = %s THEN %s", col, sqlNumber(val), sqlNumber(sc.points[nRange+s]))
		}
		for c, cut := range sc.cuts {
			fmt.Fprintf(&sb, " WHEN %s < %s THEN %s", col, sqlNumber(cut), sqlNumber(sc.points[c]))
		}
		fmt.Fprintf(&sb, " ELSE %s END", sqlNumber(sc.points[nRange-1]))
	}
	return sb.String()
}

// Query is one statement that returns every row of table with its points
// in an added column, score: SQL's expression over all of the table's
// columns.
func (m *Model) Query(table string) string {
	return fmt.Sprintf("SELECT %s.*,\n%s AS score\nFROM %s;\n", QuoteIdent(table), m.SQL(table), QuoteIdent(table))
}

// QuoteIdent quotes a table or column name as standard SQL does.
func QuoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// sqlNumber writes x so that a SQL engine reads back the same double:
// whole numbers as integer literals, others in shortest exact form.
func sqlNumber(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}
