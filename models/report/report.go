// Package report is the content of Credence's training and validation
// reports, the numbers a model-risk committee reads, and their rendering:
// one self-contained HTML page with inline SVG charts, and JSON with the
// same numbers. Training (train) and the back-test (models/backtest) both
// fill a Report.
package report

import (
	"encoding/json"
	"html/template"
	"io"
	"math"

	"github.com/credence-risk/credence/datasets"
)

// Version is the Credence version written into reports; the binary sets
// it at start-up.
var Version = "dev"

// Report is the content of a training or validation report: the numbers a
// model-risk committee reads. It renders as one self-contained HTML file
// (inline SVG, no network) and as JSON with the same numbers.
type Report struct {
	Kind     string    `json:"kind"` // "training" or "validation"
	Title    string    `json:"title"`
	Created  string    `json:"created"`
	Credence string    `json:"credence"`
	Model    ModelCard `json:"model_card"`
	// Light is the overall traffic light: green, yellow or red.
	Light        string   `json:"light"`
	LightReasons []string `json:"light_reasons,omitempty"`
	// LightRule says how Light is derived from the tests.
	LightRule string   `json:"light_rule"`
	Headline  []Metric `json:"headline"`
	// Candidates compares every fitted family (champion and challengers).
	Candidates []Candidate `json:"candidates,omitempty"`
	// Tuning is each family's hyperparameter search, when training
	// tuned, within TuningBudget.
	TuningBudget string      `json:"tuning_budget,omitempty"`
	Tuning       []TuningRow `json:"tuning,omitempty"`
	ROC          []Curve     `json:"roc,omitempty"`
	KS           []Curve     `json:"ks,omitempty"`
	Calibration  []GradeRow  `json:"calibration_by_grade,omitempty"`
	// CalibrationNotes explain the grades the calibration table leaves
	// out (no observation in their band).
	CalibrationNotes []string `json:"calibration_notes,omitempty"`
	// MasterScale is every grade's PD band with the observations in it.
	MasterScale []ScaleRow `json:"master_scale,omitempty"`
	// ByAsOf is the performance on each as-of date.
	ByAsOf []PeriodRow `json:"performance_by_as_of,omitempty"`
	// Migration counts grade moves between observations of a customer.
	Migration  *GradeMigration `json:"migration,omitempty"`
	Scores     *Histogram      `json:"score_distribution,omitempty"`
	ScorePSI   *PSITable       `json:"score_psi,omitempty"`
	FeaturePSI []Stability     `json:"feature_psi,omitempty"`
	IV         []Ranked        `json:"information_value,omitempty"`
	Importance []Ranked        `json:"importance,omitempty"`
	Scorecard  []BinRow        `json:"scorecard,omitempty"`
	Notes      []string        `json:"notes,omitempty"`
	// SkippedRows lists the book rows a tolerant read left out and the
	// values read with a notice, by reason (also summarised in Notes).
	SkippedRows []datasets.SkipReason `json:"skipped_rows,omitempty"`
}

// ModelCard documents a model for its users and reviewers.
type ModelCard struct {
	Version         string          `json:"version"`
	Family          string          `json:"family"`
	Purpose         string          `json:"purpose"`
	Book            string          `json:"book"`
	DataWindow      string          `json:"data_window"`
	Split           string          `json:"split"`
	Horizon         string          `json:"horizon"`
	Observations    string          `json:"observations"`
	FeatureSet      string          `json:"feature_set"`
	Features        []string        `json:"features"`
	HyperParameters json.RawMessage `json:"hyper_parameters,omitempty"`
	DataFingerprint string          `json:"data_fingerprint"`
	Limitations     []string        `json:"limitations"`
}

// Metric is one headline figure.
type Metric struct {
	Name  string `json:"name"`
	Value Num    `json:"value"`
	// Unit says how to read Value: UnitCount, UnitAmount, UnitShare,
	// UnitIndex or UnitP; empty is UnitIndex.
	Unit string `json:"unit,omitempty"`
	Note string `json:"note,omitempty"`
}

// Candidate is one fitted family's test metrics.
type Candidate struct {
	Family      string `json:"family"`
	AUC         Num    `json:"auc"`
	AUCLow      Num    `json:"auc_low"`
	AUCHigh     Num    `json:"auc_high"`
	Gini        Num    `json:"gini"`
	KS          Num    `json:"ks"`
	Brier       Num    `json:"brier"`
	LogLoss     Num    `json:"log_loss"`
	Calibration string `json:"calibration"` // traffic light of the calibration tests
	// CVAUC and CVSE are the mean held-out AUC of the family's
	// cross-validation and its standard error; null without one.
	CVAUC    Num    `json:"cv_auc"`
	CVSE     Num    `json:"cv_se"`
	Champion bool   `json:"champion"`
	Note     string `json:"note,omitempty"`
}

// TuningRow is one family's hyperparameter search: successive halving
// over candidate configurations judged by cross-validated AUC.
type TuningRow struct {
	Family string `json:"family"`
	// Candidates configurations were tried, the configured one included;
	// Rungs says how many were judged on what share of the rows.
	Candidates int    `json:"candidates"`
	Rungs      string `json:"rungs"`
	// DefaultAUC and BestAUC are the cross-validated AUC of the
	// configured and of the chosen configuration at the last rung.
	DefaultAUC Num  `json:"default_cv_auc"`
	BestAUC    Num  `json:"best_cv_auc"`
	Changed    bool `json:"changed"`
	// BudgetSeconds is the family's share of the budget and
	// PlannedSeconds the work planned within it, in seconds of the cost
	// model; Seconds is the time the search took.
	BudgetSeconds  Num `json:"budget_s"`
	PlannedSeconds Num `json:"planned_s"`
	Seconds        Num `json:"seconds"`
	// Config is the chosen configuration.
	Config json.RawMessage `json:"config,omitempty"`
	Note   string          `json:"note,omitempty"`
}

// Curve is a named polyline (ROC: x = false positive rate, y = true
// positive rate; KS: x = score quantile, y = cumulative share).
type Curve struct {
	Name string `json:"name"`
	X    []Num  `json:"x"`
	Y    []Num  `json:"y"`
}

// GradeRow is calibration by grade.
type GradeRow struct {
	Grade int `json:"grade"`
	// N, Defaults and Rows count as ScaleRow's do.
	N          int    `json:"n"`
	Defaults   int    `json:"defaults"`
	Rows       int    `json:"rows,omitempty"`
	ObservedDR Num    `json:"observed_dr"`
	PD         Num    `json:"pd"`
	Low        Num    `json:"dr_low"`  // Jeffreys 95% interval of the default rate
	High       Num    `json:"dr_high"` //
	Jeffreys   Num    `json:"jeffreys_p"`
	Binomial   Num    `json:"binomial_p"`
	Light      string `json:"light"`
}

// Histogram of scores of goods and bads over common edges.
type Histogram struct {
	Edges []Num  `json:"edges"`
	Goods []Num  `json:"goods"` // shares
	Bads  []Num  `json:"bads"`
	Label string `json:"label"`
}

// PSITable is a population stability index with its bins.
type PSITable struct {
	PSI      Num      `json:"psi"`
	Band     string   `json:"band"`
	Bins     []string `json:"bins"`
	Expected []Num    `json:"expected"`
	Actual   []Num    `json:"actual"`
}

// Stability is one feature's PSI (CSI).
type Stability struct {
	Feature string `json:"feature"`
	PSI     Num    `json:"psi"`
	Band    string `json:"band"`
}

// Ranked is a feature with a value (IV, importance).
type Ranked struct {
	Feature string `json:"feature"`
	Value   Num    `json:"value"`
}

// BinRow is one bin of a scorecard.
type BinRow struct {
	Feature   string `json:"feature"`
	Bin       string `json:"bin"`
	Count     int    `json:"count"`
	Share     Num    `json:"share"`
	EventRate Num    `json:"event_rate"`
	WoE       Num    `json:"woe"`
	IV        Num    `json:"iv"`
	Points    Num    `json:"points"`
}

// Num is a report figure: JSON has no NaN, so a figure that cannot be
// computed (no defaults in a grade, say) is written as null.
type Num float64

// MarshalJSON writes NaN and ±Inf as null.
func (n Num) MarshalJSON() ([]byte, error) {
	x := float64(n)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(x)
}

// UnmarshalJSON reads null as NaN.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	var x float64
	err := json.Unmarshal(b, &x)
	*n = Num(x)
	return err
}

// Nums converts float64s to Nums.
func Nums(xs []float64) []Num {
	out := make([]Num, len(xs))
	for i, x := range xs {
		out[i] = Num(x)
	}
	return out
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

var reportTemplate = NewPage("report", reportHTML, template.FuncMap{
	"roc": func(cs []Curve) template.HTML {
		return lineChart(cs, "false positive rate (non-defaults flagged)", "true positive rate (defaults flagged)", true)
	},
	"ks": func(cs []Curve) template.HTML {
		return lineChart(cs, "population flagged, highest PD first", "share of the group flagged", false)
	},
	"calib": calibrationChart,
	"hist":  histogramChart,
	"bars":  barChart,
})
