package scorecard

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/credence-risk/credence/models"
)

// Model is a fitted scorecard. It scores from its points alone:
// Score(x) is the sum of the points of x's bins, one per feature, and
// PD(x) = 1 / (1 + exp((Score(x) − Offset) / Factor)).
type Model struct {
	features    []string // the columns the model expects
	scaling     Scaling
	intercept   float64 // of the regression on WoE
	roundPoints bool
	vars        []Variable  // the scorecard's features, in column order
	candidates  []Candidate // every training column and what selection made of it
	config      Config
	iterations  int
	converged   bool

	score []scorer // vars compiled for scoring
}

// scorer finds a value's bin and points without allocating.
type scorer struct {
	col     int
	cuts    []float64 // upper bounds of the range bins but the last
	special []float64 // sorted
	points  []float64 // per bin, in Variable.Bins order
	best    float64   // the most points any bin gives
}

func compile(v *Variable, points []float64) scorer {
	s := scorer{col: v.Column, points: points, best: math.Inf(-1)}
	for _, b := range v.Bins {
		switch b.Kind {
		case KindRange:
			if !math.IsInf(b.Upper, 1) {
				s.cuts = append(s.cuts, b.Upper)
			}
		case KindSpecial:
			s.special = append(s.special, b.Value)
		}
	}
	for _, p := range points {
		s.best = max(s.best, p)
	}
	return s
}

// bin returns the index in Variable.Bins of x's bin: missing for NaN, the
// special bin for a special value, else the range that holds x.
func (s *scorer) bin(x float64) int {
	nRange := len(s.cuts) + 1
	if x != x {
		return nRange + len(s.special)
	}
	for k, v := range s.special {
		if x == v {
			return nRange + k
		}
	}
	lo, hi := 0, len(s.cuts) // the number of cuts <= x
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if x >= s.cuts[m] {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// newModel scales the selected features' regression into points.
func newModel(features []string, sel *selection, cfg Config) (*Model, error) {
	sc := NewScaling(cfg.BaseScore, cfg.BaseOdds, cfg.PDO)
	k := float64(len(sel.vars))
	m := &Model{
		features:    slices.Clone(features),
		scaling:     sc,
		intercept:   sel.intercept,
		roundPoints: cfg.RoundPoints,
		candidates:  sel.candidates,
		config:      cfg,
		iterations:  sel.iterations,
		converged:   sel.converged,
	}
	for _, s := range sel.vars {
		v := *s.v
		v.Coefficient = s.coef
		v.Bins = slices.Clone(v.Bins)
		for b := range v.Bins {
			// ln(good:bad odds) = −(α + Σ βⱼ·WoEⱼ), shared out as
			// −(βⱼ·WoEⱼ + α/k) per feature.
			p := -(s.coef*v.Bins[b].WoE+sel.intercept/k)*sc.Factor + sc.Offset/k
			if cfg.RoundPoints {
				p = math.Round(p) + 0 // + 0: no negative zero in exports
			}
			if !isFinite(p) {
				return nil, fmt.Errorf("scorecard: %s: points %v", v.Feature, p)
			}
			v.Bins[b].Points = p
		}
		m.vars = append(m.vars, v)
	}
	m.compile()
	return m, nil
}

func (m *Model) compile() {
	m.score = make([]scorer, len(m.vars))
	for k := range m.vars {
		v := &m.vars[k]
		pts := make([]float64, len(v.Bins))
		for b := range v.Bins {
			pts[b] = v.Bins[b].Points
		}
		m.score[k] = compile(v, pts)
	}
}

// Family returns "scorecard".
func (m *Model) Family() string { return Name }

// Features returns the columns the model expects, in order; the scorecard
// uses those of Variables, the rest are ignored.
func (m *Model) Features() []string { return slices.Clone(m.features) }

func (m *Model) checkLen(x []float64) {
	if len(x) != len(m.features) {
		panic(fmt.Sprintf("scorecard: vector has %d values; model expects %d", len(x), len(m.features)))
	}
}

// Score returns the score of x: the sum of its points. Higher is safer.
func (m *Model) Score(x []float64) float64 {
	m.checkLen(x)
	var s float64
	for k := range m.score {
		sc := &m.score[k]
		s += sc.points[sc.bin(x[sc.col])]
	}
	return s
}

// PD returns the probability of default of x, from its score.
func (m *Model) PD(x []float64) float64 { return m.scaling.PD(m.Score(x)) }

// PDs writes the probability of default of every row of X to out. X must
// have the model's columns in the model's order.
func (m *Model) PDs(X *models.Matrix, out []float64) {
	if X.Cols != len(m.features) {
		panic(fmt.Sprintf("scorecard: matrix has %d columns; model expects %d", X.Cols, len(m.features)))
	}
	if X.Names != nil && !slices.Equal(X.Names, m.features) {
		panic(fmt.Sprintf("scorecard: matrix columns %q differ from the model's %q", X.Names, m.features))
	}
	for i := range X.Rows {
		out[i] = m.PD(X.Row(i))
	}
}

// Points returns the points x earns on each of the scorecard's features,
// in the order of Variables.
func (m *Model) Points(x []float64) []float64 {
	m.checkLen(x)
	out := make([]float64, len(m.score))
	for k := range m.score {
		sc := &m.score[k]
		out[k] = sc.points[sc.bin(x[sc.col])]
	}
	return out
}

// Reasons returns up to n features on which x lost the most points
// against the feature's best bin (adverse-action reasons, as toad's
// get_reason or FICO reason codes), largest loss first. Effect is the
// loss in log-odds of default: lost points / Factor. Features on their
// best bin are left out.
func (m *Model) Reasons(x []float64, n int) []models.Reason {
	m.checkLen(x)
	var rs []models.Reason
	for k := range m.score {
		sc := &m.score[k]
		v := x[sc.col]
		if lost := sc.best - sc.points[sc.bin(v)]; lost > 0 {
			rs = append(rs, models.Reason{Feature: m.vars[k].Feature, Value: v, Effect: lost / m.scaling.Factor})
		}
	}
	slices.SortStableFunc(rs, func(a, b models.Reason) int { return cmp.Compare(b.Effect, a.Effect) })
	if len(rs) > n {
		rs = rs[:max(n, 0)]
	}
	return rs
}

// Scaling returns the points scaling.
func (m *Model) Scaling() Scaling { return m.scaling }

// Intercept returns the intercept of the regression on WoE.
func (m *Model) Intercept() float64 { return m.intercept }

// Config returns the configuration the model was fitted with, defaults
// filled in.
func (m *Model) Config() Config { return m.config }

// Converged reports whether the regression met its tolerance, and in how
// many iterations.
func (m *Model) Converged() (ok bool, iterations int) { return m.converged, m.iterations }

// Variables returns the scorecard's features with their bins, in column
// order.
func (m *Model) Variables() []Variable {
	out := slices.Clone(m.vars)
	for k := range out {
		out[k].Bins = slices.Clone(out[k].Bins)
	}
	return out
}

// Candidates returns every training column with its IV and what selection
// made of it, in column order.
func (m *Model) Candidates() []Candidate { return slices.Clone(m.candidates) }

// BinRow is one line of a scorecard table.
type BinRow struct {
	Feature string
	Bin     string // Bin.Label
	// Kind, Lower, Upper and Value are the bin's own bounds, for
	// labels other than Bin's.
	Kind         string
	Lower, Upper float64
	Value        float64
	RangeBins    int     // range bins of the feature
	Count        float64 // training rows (weighted)
	Share        float64 // of all training rows
	Events       float64
	EventRate    float64
	WoE          float64
	IV           float64
	Points       float64
	Neutral      bool
}

// Table returns every bin of every feature, for reports.
func (m *Model) Table() []BinRow {
	var rows []BinRow
	for _, v := range m.vars {
		var total float64
		for _, b := range v.Bins {
			total += b.Count
		}
		ranges := 0
		for _, b := range v.Bins {
			if b.Kind == KindRange {
				ranges++
			}
		}
		for _, b := range v.Bins {
			r := BinRow{Feature: v.Feature, Bin: b.Label(), Kind: b.Kind, Lower: b.Lower, Upper: b.Upper, Value: b.Value, RangeBins: ranges,
				Count: b.Count, Events: b.Events,
				EventRate: b.EventRate, WoE: b.WoE, IV: b.IV, Points: b.Points, Neutral: b.Neutral}
			if total > 0 {
				r.Share = b.Count / total
			}
			rows = append(rows, r)
		}
	}
	return rows
}
