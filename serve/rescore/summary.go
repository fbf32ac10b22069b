package rescore

import (
	"encoding/json"
	"math"
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
	pds       []float64
	mg        *migration
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
func (sum *Summary) add(c *chunk) {
	sum.Customers += c.customers
	sum.Observations += c.observations
	for reason, n := range c.skipped {
		sum.Skipped[reason] += n
	}
	sum.LimitErrors += c.limitErrors
	if sum.FirstLimitError == nil {
		sum.FirstLimitError = c.firstLimitErr
	}
	for i := range c.rows {
		r, ex := &c.rows[i], &c.extras[i]
		sum.Rows++
		g := &sum.Grades[r.Grade-1]
		g.Rows++
		g.SumPD += r.PD
		sum.SumPD += r.PD
		if !math.IsNaN(r.RecommendedLimit) {
			g.Limits += r.RecommendedLimit
			g.ExpectedLoss += ex.expectedLoss
			sum.Limits += r.RecommendedLimit
			sum.ExpectedLoss += ex.expectedLoss
		}
		if ex.inDefault {
			sum.InDefault++
		} else if sum.reference != nil {
			sum.pds = append(sum.pds, r.PD)
		}
		if sum.mg != nil && ex.latest {
			sum.mg.add(r)
		}
	}
}

// finish computes what needs every row.
func (sum *Summary) finish() {
	if sum.reference != nil && len(sum.pds) > 0 {
		var table []eval.PSIBin
		sum.PSI, table = sum.reference.Compare(sum.pds)
		labels := report.PSIBins(sum.PSI, table).Bins
		for k, b := range table {
			sum.PSIBins = append(sum.PSIBins, PSIBin{Label: labels[k], Expected: b.ExpectedShare, Actual: b.ActualShare})
		}
	}
	sum.pds = nil
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
