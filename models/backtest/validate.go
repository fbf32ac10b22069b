package backtest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/eval"
	"github.com/credence-risk/credence/models/grade"
	"github.com/credence-risk/credence/models/report"
	"github.com/credence-risk/credence/models/scoring"
)

// Validation is a back-test of a stored model on a book with outcomes it
// was not trained on.
type Validation struct {
	Version   string
	Metrics   eval.Metrics
	Grades    []eval.GradeRow
	Portfolio eval.GradeRow
	HLP       float64
	// AUCInit is the test AUC at training; DropZ and DropP test the
	// current AUC against it (the ECB's AUC-drop test).
	AUCInit, DropZ, DropP float64
	ScorePSI              float64
	FeaturePSI            []report.Stability
	Light                 eval.Light
	Reasons               []string
	Counts                Counts
	Report                *report.Report
	CheckedAt             time.Time
}

// storedMetrics is the part of an artifact's metrics validation reads.
type storedMetrics struct {
	Test      eval.Metrics `json:"test"`
	Reference Reference    `json:"reference"`
}

// Validate scores every labelled observation of the book with the stored
// model and compares it with its training: discrimination (and the drop of
// the AUC since training), calibration by grade, and the drift of the
// score and of every feature. cfg overrides the stored horizon and label
// rule where set; the plan defaults to the new book's own dates.
func Validate(ctx context.Context, book *datasets.Book, art *artifact.Artifact, cfg ObservationConfig) (*Validation, error) {
	if art.FeatureSet == nil {
		return nil, fmt.Errorf("model %s has no feature set: it cannot score a book", art.Version)
	}
	// The observations of the training configuration: the same features,
	// horizon and default rule as the model was trained on.
	var trained struct {
		Observations ObservationConfig `json:"observations"`
	}
	if len(art.TrainingConfig) > 0 {
		if err := json.Unmarshal(art.TrainingConfig, &trained); err != nil {
			return nil, fmt.Errorf("model %s: training config: %w", art.Version, err)
		}
	}
	obs := trained.Observations
	obs.Plan = cfg.Plan
	obs.Workers, obs.Progress = cfg.Workers, cfg.Progress
	if cfg.Horizon.Valid() {
		obs.Horizon = cfg.Horizon
	}
	if cfg.DPDThreshold > 0 {
		obs.DPDThreshold = cfg.DPDThreshold
	}
	obs.DeriveDefaults = obs.DeriveDefaults || cfg.DeriveDefaults
	var stored storedMetrics
	if len(art.Metrics) > 0 {
		if err := json.Unmarshal(art.Metrics, &stored); err != nil {
			return nil, fmt.Errorf("model %s: metrics: %w", art.Version, err)
		}
	}
	scale := grade.DefaultScale()
	if len(art.Scale) > 0 {
		if err := json.Unmarshal(art.Scale, &scale); err != nil {
			return nil, fmt.Errorf("model %s: scale: %w", art.Version, err)
		}
	}
	// The one scorer's features and PDs, as the server and rescoring
	// give them.
	sc, err := scoring.New(art, book.Schema)
	if err != nil {
		return nil, err
	}
	prep, err := prepare(ctx, book, obs, sc.Set, &sc.Rule)
	if err != nil {
		return nil, err
	}
	sample, counts, err := Collect(ctx, book, prep, obs.Workers)
	if err != nil {
		return nil, err
	}
	if sample.X.Rows == 0 {
		return nil, fmt.Errorf("book %s has no labelled observations for a %s horizon (observed until %s)", book.Dir, prep.Horizon, prep.ObservedUntil)
	}
	pd := make([]float64, sample.X.Rows)
	sc.PDs(sample.X, pd)
	v := &Validation{Version: art.Version, Counts: counts, CheckedAt: time.Now().UTC(), AUCInit: stored.Test.AUC}
	if v.Metrics, err = eval.Summary(sample.Y, pd, sample.W); err != nil {
		return nil, err
	}
	grades, err := scale.Grades(pd)
	if err != nil {
		return nil, err
	}
	if v.Grades, err = eval.CalibrationByGrade(grades, pd, sample.Y, sample.W); err != nil {
		return nil, err
	}
	if v.Portfolio, err = eval.Calibration(pd, sample.Y, sample.W); err != nil {
		return nil, err
	}
	_, v.HLP = eval.HosmerLemeshow(sample.Y, pd, sample.W, 10)
	v.DropZ, v.DropP = math.NaN(), math.NaN()
	if !math.IsNaN(v.AUCInit) && v.AUCInit > 0 {
		v.DropZ, v.DropP = eval.AUCDropTest(v.AUCInit, sample.Y, pd)
	}
	v.ScorePSI = math.NaN()
	if len(stored.Reference.PD.Shares) > 0 {
		v.ScorePSI = stored.Reference.PD.PSI(pd)
	}
	for j, name := range sample.X.Names {
		if ref, ok := stored.Reference.Features[name]; ok {
			psi := ref.PSI(sample.Column(j))
			if !math.IsNaN(psi) {
				v.FeaturePSI = append(v.FeaturePSI, report.Stability{Feature: name, PSI: report.Num(psi), Band: eval.Stability(psi)})
			}
		}
	}
	slices.SortStableFunc(v.FeaturePSI, func(a, b report.Stability) int { return cmp.Compare(b.PSI, a.PSI) })
	v.judge()
	v.Report = v.report(book, art, prep, sample, pd)
	if psi, table := stored.Reference.PD.Compare(pd); len(table) > 0 {
		v.Report.ScorePSI = report.PSIBins(psi, table)
	}
	v.Report.MasterScale = report.MasterScale(scale, sample.Y, pd, sample.W)
	v.Report.Migration = report.MigrationByCustomer(sample.CustomerIDs, sample.AsOf, grades)
	return v, nil
}

// judge sets the overall light: red when the AUC dropped significantly
// (p ≤ 0.001), the portfolio calibration is red or the score shifted
// (PSI ≥ 0.25); yellow for the milder findings; green otherwise.
func (v *Validation) judge() {
	v.Light = eval.Green
	raise := func(to eval.Light, reason string) {
		if to == eval.Red || (to == eval.Yellow && v.Light == eval.Green) {
			v.Light = to
		}
		v.Reasons = append(v.Reasons, reason)
	}
	switch drop := eval.TrafficLight(v.DropP); drop {
	case eval.Red, eval.Yellow:
		raise(drop, fmt.Sprintf("AUC %.4f against %.4f at training: the drop is significant (p = %s)", v.Metrics.AUC, v.AUCInit, report.FormatP(v.DropP)))
	}
	switch v.Portfolio.Light {
	case eval.Red, eval.Yellow:
		raise(v.Portfolio.Light, fmt.Sprintf("portfolio: observed default rate %.3f%% against mean PD %.3f%% (Jeffreys p = %s)",
			100*v.Portfolio.DefaultRate, 100*v.Portfolio.MeanPD, report.FormatP(v.Portfolio.JeffreysP)))
	}
	for _, g := range v.Grades {
		if g.Light == eval.Red {
			raise(eval.Yellow, fmt.Sprintf("grade %d is red: observed default rate %.3f%% against PD %.3f%% (Jeffreys p = %s); a red grade alone makes the overall light yellow",
				g.Grade, 100*g.DefaultRate, 100*g.MeanPD, report.FormatP(g.JeffreysP)))
		}
	}
	switch {
	case v.ScorePSI >= 0.25:
		raise(eval.Red, fmt.Sprintf("score PSI %.3f against training: the population shifted", v.ScorePSI))
	case v.ScorePSI >= 0.10:
		raise(eval.Yellow, fmt.Sprintf("score PSI %.3f against training: investigate", v.ScorePSI))
	}
	for _, f := range v.FeaturePSI {
		// The portfolio context is one value per group and date: it moves
		// with the book from month to month by design, which the score's
		// PSI and the AUC already judge; its PSI stays in the report.
		if f.PSI >= 0.25 && !features.IsPortfolioContext(f.Feature) {
			raise(eval.Yellow, fmt.Sprintf("feature %s shifted (PSI %.3f)", f.Feature, f.PSI))
		}
	}
}

func (v *Validation) report(book *datasets.Book, art *artifact.Artifact, prep *Prepared, sample *Sample, pd []float64) *report.Report {
	m := v.Metrics
	r := &report.Report{
		Kind:         "validation",
		Title:        fmt.Sprintf("Credence validation of model %s (%s) on %s", art.Version, art.Family, book.Dir),
		Created:      v.CheckedAt.Format(time.RFC3339),
		Credence:     report.Version,
		Light:        string(v.Light),
		LightReasons: v.Reasons,
		LightRule: "the worst of the findings listed: red when the AUC dropped significantly since training (p ≤ 0.001), the portfolio calibration is red " +
			"(Jeffreys p ≤ 0.001) or the PD shifted (PSI ≥ 0.25); yellow for a milder AUC drop or portfolio miscalibration (p ≤ 0.05), a red grade, " +
			"a PD PSI from 0.10 or a feature PSI from 0.25. A red grade alone makes the light yellow, not red. " +
			"The Hosmer–Lemeshow test is shown but does not set the light: on thousands of observations it rejects deviations too small to matter.",
		Headline: []report.Metric{
			{Name: "AUC", Value: report.Num(m.AUC), Note: fmt.Sprintf("95%% CI %.4f–%.4f (DeLong)", m.AUCLow, m.AUCHigh)},
			{Name: "AUC at training", Value: report.Num(v.AUCInit), Note: fmt.Sprintf("drop test z = %.3f, p = %s", v.DropZ, report.FormatP(v.DropP))},
			{Name: "Gini", Value: report.Num(m.Gini)},
			{Name: "KS", Value: report.Num(m.KS)},
			{Name: "Brier", Value: report.Num(m.Brier)},
			{Name: "Observed default rate", Value: report.Num(m.DefaultRate), Unit: report.UnitShare, Note: fmt.Sprintf("%d defaults in %d observations", m.Defaults, m.N)},
			{Name: "Mean PD", Value: report.Num(m.MeanPD), Unit: report.UnitShare, Note: fmt.Sprintf("Jeffreys p = %s (%s)", report.FormatP(v.Portfolio.JeffreysP), v.Portfolio.Light)},
			{Name: "Hosmer–Lemeshow p", Value: report.Num(v.HLP), Unit: report.UnitP, Note: "10 groups; for information, it does not set the light"},
			{Name: "Score PSI", Value: report.Num(v.ScorePSI), Note: "against training"},
		},
		FeaturePSI: v.FeaturePSI[:min(len(v.FeaturePSI), 40)],
	}
	if fpr, tpr, _, err := eval.ROC(sample.Y, pd); err == nil {
		x, y := report.Thin(fpr, tpr)
		r.ROC = []report.Curve{{Name: art.Family, X: report.Nums(x), Y: report.Nums(y)}}
	}
	r.KS = report.KSCurves(sample.Y, pd, sample.W)
	r.ByAsOf = report.ByAsOf(sample.AsOf, sample.Y, pd, sample.W)
	r.Calibration = report.GradeRows(v.Grades)
	r.Scores = report.ScoreHistogram(sample.Y, pd, sample.W)
	r.Model = report.ModelCard{
		Version: art.Version, Family: art.Family, Book: book.Dir,
		DataWindow: fmt.Sprintf("history %s to %s; observed until %s", prep.First, prep.Last, prep.ObservedUntil),
		Horizon:    prep.Horizon.String(),
		Split: fmt.Sprintf("none: every labelled observation of the book is a test observation (as of %s to %s), scored by the stored model, which was not refit",
			slices.Min(sample.AsOf), slices.Max(sample.AsOf)),
		Observations:    fmt.Sprintf("%d customers; %d labelled observations with %d defaults", v.Counts.Customers, v.Counts.Labelled, v.Counts.Defaults),
		FeatureSet:      art.FeatureSet.Version,
		Features:        art.FeatureSet.Names(),
		DataFingerprint: sample.Fingerprint(),
		Purpose:         "Back-test of a stored model on outcomes it was not trained on.",
		Limitations:     []string{"Observations whose horizon is not yet observed are left out: recent scoring dates are judged only once their outcomes mature."},
	}
	return r
}
