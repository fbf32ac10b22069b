package rescore

import (
	"encoding/json"
	"math"
	"slices"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/eval"
	"github.com/credence-risk/credence/models/report"
	"github.com/credence-risk/credence/models/scoring"
)

// Summary is what a rescoring run counted and totalled.
type Summary struct {
	ModelVersion string
	Family       string
	FeatureSet   string
	// AsOf is the scoring date; NoDate when the observations table gave
	// the dates.
	AsOf datasets.Date
	// Customers read from the book, observation rows read (scoring the
	// observations table), rows scored and written.
	Customers, Observations, Rows int64
	// Skipped counts customers (or, for SkipNoObservation, customers
	// without observations) that got no row, by reason.
	Skipped map[string]int64
	// InDefault rows were in default at their as_of: grade 10, limit 0.
	InDefault int64
	// LimitErrors rows have no recommended limit: the policy refused the
	// request built from the book (FirstLimitError says why).
	LimitErrors     int64
	FirstLimitError error
	// Grades[g-1] totals the rows of grade g.
	Grades [gradeCount]GradeTotal
	// SumPD, Limits and ExpectedLoss total every row (limits and expected
	// losses over the rows that have one). The expected loss is the
	// policy's: max(PD, PD floor) × LGD × recommended limit.
	SumPD, Limits, ExpectedLoss float64
	LGD                         float64
	// PSI compares the PDs of the rows not in default with the model's
	// training PDs; NaN when the model stores no reference.
	PSI       float64
	PSIBins   []PSIBin
	Migration *Migration
	// PortfolioPass is the time the first pass over the book took, which
	// computes the portfolio context for a model that reads one.
	PortfolioPass time.Duration

	reference *backtest.Binned
	// pdCounts bins the PDs of the rows not in default on the
	// reference's edges: all the PSI needs, and it adds up across parts.
	pdCounts []float64
	scratch  []float64
	mg       *migration
	// Exact sums (see exactSum) behind the float totals, so that the
	// summaries of a book's parts merge to the total of one pass.
	sums       [gradeCount]gradeSums
	firstErrAt rowKey
}

// gradeSums are the exact sums behind a GradeTotal.
type gradeSums struct {
	PD, Limits, ExpectedLoss exactSum
}

// rowKey places a row in book order: customer_id, then as_of.
type rowKey struct {
	CustomerID string
	AsOf       datasets.Date
}

func (k rowKey) before(o rowKey) bool {
	c := datasets.CompareIDs(k.CustomerID, o.CustomerID)
	return c < 0 || (c == 0 && k.AsOf < o.AsOf)
}

// GradeTotal totals the rows of one grade.
type GradeTotal struct {
	Rows                        int64
	SumPD, Limits, ExpectedLoss float64
}

// PSIBin is one bin of the PD's stability index.
type PSIBin struct {
	Label            string
	Expected, Actual float64 // shares, smoothed as the PSI was (eval.PSI)
}

// storedMetrics is the part of a model's stored metrics that rescoring
// reads.
type storedMetrics struct {
	Reference *backtest.Reference `json:"reference"`
}

func newSummary(s *scoring.Scorer, cfg Config) *Summary {
	a := s.Artifact
	sum := &Summary{ModelVersion: a.Version, Family: a.Family, FeatureSet: s.Set.Version, AsOf: cfg.AsOf,
		Skipped: map[string]int64{}, LGD: cfg.Policy.LGD, PSI: math.NaN()}
	var m storedMetrics
	if len(a.Metrics) > 0 && json.Unmarshal(a.Metrics, &m) == nil && m.Reference != nil && len(m.Reference.PD.Shares) > 0 {
		sum.reference = &m.Reference.PD
	}
	if cfg.Previous != nil {
		sum.mg = newMigration(cfg.Previous)
	}
	return sum
}

// add counts a chunk; the emitter calls it in book order.
func (sum *Summary) add(c *chunk, latest func(*Row)) {
	sum.Customers += c.customers
	sum.Observations += c.observations
	for reason, n := range c.skipped {
		sum.Skipped[reason] += n
	}
	sum.LimitErrors += c.limitErrors
	if c.firstLimitErr != nil {
		sum.noteLimitError(c.firstLimitErr, c.firstLimitErrAt)
	}
	sum.scratch = sum.scratch[:0]
	for i := range c.rows {
		r, ex := &c.rows[i], &c.extras[i]
		sum.Rows++
		sum.Grades[r.Grade-1].Rows++
		g := &sum.sums[r.Grade-1]
		g.PD.Add(r.PD)
		if !math.IsNaN(r.RecommendedLimit) {
			g.Limits.Add(r.RecommendedLimit)
			g.ExpectedLoss.Add(ex.expectedLoss)
		}
		if ex.inDefault {
			sum.InDefault++
		} else if sum.reference != nil {
			sum.scratch = append(sum.scratch, r.PD)
		}
		if ex.latest {
			if sum.mg != nil {
				sum.mg.add(r)
			}
			if latest != nil {
				latest(r)
			}
		}
	}
	if len(sum.scratch) > 0 {
		sum.addPDCounts(sum.reference.Counts(sum.scratch))
	}
}

// noteLimitError keeps the limit error of the first row in book order.
func (sum *Summary) noteLimitError(err error, at rowKey) {
	if sum.FirstLimitError == nil || at.before(sum.firstErrAt) {
		sum.FirstLimitError, sum.firstErrAt = err, at
	}
}

// Merge adds the counts and totals of o, the summary of another part of
// the same run (same model and configuration, no previous output: a
// pipeline compares with one by joining, see Moves). The order of merging
// does not change the result.
func (sum *Summary) Merge(o *Summary) {
	sum.Customers += o.Customers
	sum.Observations += o.Observations
	sum.Rows += o.Rows
	sum.InDefault += o.InDefault
	for reason, n := range o.Skipped {
		sum.Skipped[reason] += n
	}
	sum.LimitErrors += o.LimitErrors
	if o.FirstLimitError != nil {
		sum.noteLimitError(o.FirstLimitError, o.firstErrAt)
	}
	for g := range sum.Grades {
		sum.Grades[g].Rows += o.Grades[g].Rows
		sum.sums[g].PD.Merge(o.sums[g].PD)
		sum.sums[g].Limits.Merge(o.sums[g].Limits)
		sum.sums[g].ExpectedLoss.Merge(o.sums[g].ExpectedLoss)
	}
	if sum.reference == nil {
		sum.reference = o.reference
	}
	sum.addPDCounts(o.pdCounts)
}

func (sum *Summary) addPDCounts(counts []float64) {
	if sum.pdCounts == nil && len(counts) > 0 {
		sum.pdCounts = make([]float64, len(counts))
	}
	for i, n := range counts {
		sum.pdCounts[i] += n
	}
}

// Finish computes what needs every row; Run calls it, and a pipeline once
// it has merged the summaries of every part.
func (sum *Summary) Finish() { sum.finish() }

// finish computes what needs every row.
func (sum *Summary) finish() {
	var all gradeSums
	for g := range sum.Grades {
		t, s := &sum.Grades[g], &sum.sums[g]
		t.SumPD, t.Limits, t.ExpectedLoss = s.PD.Value(), s.Limits.Value(), s.ExpectedLoss.Value()
		all.PD.Merge(s.PD)
		all.Limits.Merge(s.Limits)
		all.ExpectedLoss.Merge(s.ExpectedLoss)
	}
	sum.SumPD, sum.Limits, sum.ExpectedLoss = all.PD.Value(), all.Limits.Value(), all.ExpectedLoss.Value()
	if sum.reference != nil && slices.ContainsFunc(sum.pdCounts, func(n float64) bool { return n > 0 }) {
		var table []eval.PSIBin
		sum.PSI, table = sum.reference.CompareCounts(sum.pdCounts)
		labels := report.PSIBins(sum.PSI, table).Bins
		for k, b := range table {
			sum.PSIBins = append(sum.PSIBins, PSIBin{Label: labels[k], Expected: b.ExpectedShare, Actual: b.ActualShare})
		}
	}
	sum.pdCounts, sum.scratch = nil, nil
	if sum.mg != nil {
		sum.Migration = sum.mg.finish()
	}
}

// MeanPD is the mean PD of the rows.
func (sum *Summary) MeanPD() float64 {
	if sum.Rows == 0 {
		return math.NaN()
	}
	return sum.SumPD / float64(sum.Rows)
}

// Stability names the PSI's band: stable, investigate or shifted.
func (sum *Summary) Stability() string { return eval.Stability(sum.PSI) }

// SkippedTotal is the number of customers that got no row.
func (sum *Summary) SkippedTotal() int64 {
	var n int64
	for _, k := range sum.Skipped {
		n += k
	}
	return n
}
