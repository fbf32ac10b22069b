package rescore

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/eval"
	"github.com/credence-risk/credence/models/report"
)

// Report is the summary of a rescoring run for a credit manager: one
// self-contained HTML page (inline SVG, no network) and JSON with the same
// numbers. Figures that cannot be computed are null in JSON.
type Report struct {
	Title    string      `json:"title"`
	Created  string      `json:"created"`
	Credence string      `json:"credence"`
	Book     string      `json:"book"`
	Currency string      `json:"currency,omitempty"` // of every amount, from book.yaml
	Output   string      `json:"output"`
	AsOf     string      `json:"as_of"` // a date, or "observations table"
	Model    ReportModel `json:"model"`
	Counts   Counts      `json:"counts"`
	// Headline holds the portfolio totals: mean PD, recommended limits,
	// expected loss and the PD's stability against training.
	Headline  []Metric         `json:"headline"`
	Grades    []GradeRow       `json:"grades"`
	PSI       *report.PSITable `json:"pd_psi,omitempty"`
	Migration *MigrationReport `json:"migration,omitempty"`
	Notes     []string         `json:"notes,omitempty"`
	// SkippedRows lists the book rows a tolerant read left out and the
	// values read with a notice, by reason (also summarised in Notes).
	SkippedRows []datasets.SkipReason `json:"skipped_rows,omitempty"`
}

// Metric is one headline figure, in its unit (report.UnitCount,
// UnitAmount, UnitShare or UnitIndex).
type Metric = report.Metric

// ReportModel names the model that scored.
type ReportModel struct {
	Version    string `json:"version"`
	Family     string `json:"family"`
	FeatureSet string `json:"feature_set"`
}

// Counts says what was read, scored and skipped.
type Counts struct {
	Customers       int64            `json:"customers_read"`
	Observations    int64            `json:"observations_read,omitempty"`
	Rows            int64            `json:"rows_scored"`
	Skipped         map[string]int64 `json:"skipped"`
	InDefault       int64            `json:"in_default"`
	LimitErrors     int64            `json:"limits_not_computed"`
	FirstLimitError string           `json:"first_limit_error,omitempty"`
}

// GradeRow is one grade of the distribution.
type GradeRow struct {
	Grade        int        `json:"grade"`
	Rows         int64      `json:"rows"`
	Share        report.Num `json:"share"`
	MeanPD       report.Num `json:"mean_pd"`
	Limits       report.Num `json:"recommended_limits"`
	ExpectedLoss report.Num `json:"expected_loss"`
}

// MigrationReport is the comparison with an earlier output.
type MigrationReport struct {
	*Migration
	// Grades labels the matrix's rows (previous) and columns (current).
	Grades []int `json:"grades"`
}

// NewReport builds the report of a finished run of book into the scores
// file output.
func NewReport(sum *Summary, book *datasets.Book, output, credenceVersion string, elapsed time.Duration) *Report {
	r := &Report{
		Title:    "Credence rescoring of " + book.Dir,
		Created:  time.Now().UTC().Format(time.RFC3339),
		Credence: credenceVersion,
		Book:     book.Dir,
		Currency: book.Meta.Currency,
		Output:   output,
		AsOf:     "observations table",
		Model:    ReportModel{Version: sum.ModelVersion, Family: sum.Family, FeatureSet: sum.FeatureSet},
		Counts: Counts{Customers: sum.Customers, Observations: sum.Observations, Rows: sum.Rows,
			Skipped: sum.Skipped, InDefault: sum.InDefault, LimitErrors: sum.LimitErrors},
	}
	if sum.AsOf.Valid() {
		r.AsOf = sum.AsOf.String()
	}
	r.SkippedRows = book.Skipped.Reasons()
	r.Notes = append(r.Notes, book.Skipped.Lines()...)
	if sum.FirstLimitError != nil {
		r.Counts.FirstLimitError = sum.FirstLimitError.Error()
	}
	r.Headline = []Metric{
		{Name: "Rows scored", Value: report.Num(sum.Rows), Unit: report.UnitCount, Note: fmt.Sprintf("%s customers read, %s skipped", report.FormatAmount(float64(sum.Customers)), report.FormatAmount(float64(sum.SkippedTotal())))},
		{Name: "Mean PD", Value: report.Num(sum.MeanPD()), Unit: report.UnitShare, Note: fmt.Sprintf("%s rows in default (PD 1)", report.FormatAmount(float64(sum.InDefault)))},
		{Name: "Recommended limits", Value: report.Num(sum.Limits), Unit: report.UnitAmount, Note: "sum over the rows of what the policy allows"},
		{Name: "Expected loss", Value: report.Num(sum.ExpectedLoss), Unit: report.UnitAmount, Note: fmt.Sprintf("Σ max(PD, PD floor) × LGD %.0f%% × recommended limit", 100*sum.LGD)},
		{Name: "Expected loss / limits", Value: report.Num(ratio(sum.ExpectedLoss, sum.Limits)), Unit: report.UnitShare},
		{Name: "PD PSI against training", Value: report.Num(sum.PSI), Unit: report.UnitIndex, Note: sum.Stability()},
	}
	for g := 1; g <= gradeCount; g++ {
		t := sum.Grades[g-1]
		r.Grades = append(r.Grades, GradeRow{Grade: g, Rows: t.Rows, Share: report.Num(ratio(float64(t.Rows), float64(sum.Rows))),
			MeanPD: report.Num(ratio(t.SumPD, float64(t.Rows))), Limits: report.Num(t.Limits), ExpectedLoss: report.Num(t.ExpectedLoss)})
	}
	if len(sum.PSIBins) > 0 {
		t := &report.PSITable{PSI: report.Num(sum.PSI), Band: eval.Stability(sum.PSI)}
		for _, b := range sum.PSIBins {
			t.Bins = append(t.Bins, b.Label)
			t.Expected = append(t.Expected, report.Num(b.Expected))
			t.Actual = append(t.Actual, report.Num(b.Actual))
		}
		r.PSI = t
	} else {
		r.Notes = append(r.Notes, "The model stores no training distribution of the PD, so its stability is not measured.")
	}
	if m := sum.Migration; m != nil {
		mr := &MigrationReport{Migration: m}
		for g := 1; g <= gradeCount; g++ {
			mr.Grades = append(mr.Grades, g)
		}
		r.Migration = mr
	}
	r.Notes = append(r.Notes,
		"Features use only facts dated strictly before as_of; the default as_of is the day after the book's observed_until, so the whole book is seen.",
		"Customers in default at as_of are in grade 10 with PD 1 and a zero limit; they are left out of the PD's stability index, as training leaves them out.",
		"Recommended limits ask the policy for no particular amount; terms are the customer's median invoice terms (30 days without invoices), sales its peak month of the last twelve.",
		fmt.Sprintf("Scored in %s.", elapsed.Round(time.Millisecond)))
	if r.Migration != nil {
		r.Notes = append(r.Notes, "Migration compares each customer's latest row in both outputs; grade 1 is the best, so an upgrade moves to a lower grade.")
	}
	return r
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// WriteJSON writes the report's numbers.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteHTML writes the report as one self-contained HTML page.
func (r *Report) WriteHTML(w io.Writer) error {
	return reportTemplate.Execute(w, r)
}

// skippedRow is a skip reason with its count, for the page.
type skippedRow struct {
	Reason string
	N      int64
}

// skippedRows lists the skip reasons, most frequent first.
func skippedRows(m map[string]int64) []skippedRow {
	var out []skippedRow
	for k, n := range m {
		out = append(out, skippedRow{k, n})
	}
	slices.SortFunc(out, func(a, b skippedRow) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Reason, b.Reason)) })
	return out
}
