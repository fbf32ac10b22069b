package train

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/blend"
	"github.com/credence-risk/credence/models/eval"
	"github.com/credence-risk/credence/models/grade"
	"github.com/credence-risk/credence/models/report"
	"github.com/credence-risk/credence/models/scorecard"
)

// buildReport writes the training report; trainPD are the champion's
// calibrated PDs of the training part, the baseline of the score's PSI.
func buildReport(src source, trainS, testS *backtest.Sample, trainPD []float64, split Split, cfg Config, res *Result) *report.Report {
	champ, prep, counts := res.Champion, src.prep, src.counts
	r := &report.Report{
		Kind:     "training",
		Title:    fmt.Sprintf("Credence PD model: %s on %s", champ.Family, src.book),
		Created:  time.Now().UTC().Format(time.RFC3339),
		Credence: report.Version,
		Light:    string(champ.Light),
		LightRule: "the champion's calibration on the test part: the light of the portfolio Jeffreys test (green p > 0.05, yellow 0.001 < p ≤ 0.05, red p ≤ 0.001), " +
			"raised to yellow when a grade is red and to red when more than one grade is red. A single red grade therefore leaves the overall light yellow. " +
			"The Hosmer–Lemeshow test is shown but does not set the light: on thousands of observations it rejects deviations too small to matter.",
	}
	if champ.CVCalibration != nil {
		r.Light = string(champ.CVCalibration.light()) // the registered model's calibration
	}
	// Headline and light.
	t := champ.Test
	r.Headline = []report.Metric{
		{Name: "AUC", Value: report.Num(t.AUC), Note: fmt.Sprintf("held-out test of the family fitted on the train part (selection), 95%% CI %.4f–%.4f (DeLong)", t.AUCLow, t.AUCHigh)},
		{Name: "Gini", Value: report.Num(t.Gini), Note: "2·AUC − 1"},
		{Name: "KS", Value: report.Num(t.KS)},
		{Name: "Brier", Value: report.Num(t.Brier)},
		{Name: "Log loss", Value: report.Num(t.LogLoss)},
		{Name: "Observed default rate", Value: report.Num(t.DefaultRate), Unit: report.UnitShare, Note: testCounts(t)},
		{Name: "Mean PD", Value: report.Num(t.MeanPD), Unit: report.UnitShare, Note: fmt.Sprintf("Jeffreys p = %s (%s)", report.FormatP(champ.Portfolio.JeffreysP), champ.Portfolio.Light)},
		{Name: "Hosmer–Lemeshow p", Value: report.Num(champ.HLP), Unit: report.UnitP, Note: "10 groups; for information, it does not set the light"},
	}
	if cv := champ.CV; cv != nil {
		r.Headline = append([]report.Metric{{Name: "Cross-validated AUC", Value: report.Num(cv.MeanAUC),
			Note: fmt.Sprintf("mean of %d rounds (%s) ± %.4f standard error, uncalibrated; the model registered is refit on all %d observations and calibrated on its out-of-fold PDs",
				len(cv.AUC), cv.Folds, cv.SE, res.Rows)}}, r.Headline...)
	}
	if res.SelectionNote != "" {
		r.Notes = append(r.Notes, res.SelectionNote)
	}
	if champ.Family == blend.Name {
		r.Notes = append(r.Notes, fmt.Sprintf("The champion blends the %s: its log-odds of default is the mean of theirs, each configured as the hyperparameters below say; "+
			"a reason's effect is the mean of the two models' effects of the feature (coefficient × standardised value, TreeSHAP).", strings.Join(blendFamilies, " and ")))
	}
	r.SkippedRows = src.skipped.Reasons()
	r.Notes = append(r.Notes, src.skipped.Lines()...)
	if d := src.drawn; d != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("Trained on a sample of the book: %s; %d defaults and %d non-defaults drawn from %d labelled observations. "+
			"Every count, rate, mean PD and calibration test is weighted, so it stands for the book, not the sample; the AUC is unchanged by the weights, one per class.",
			d.Rule, d.Defaults, d.NonDefaults, d.Counts.Labelled))
	}
	switch cv := champ.CVCalibration; {
	case cv != nil && !cv.Passes:
		r.LightReasons = append(r.LightReasons, fmt.Sprintf("calibration fails on the out-of-fold PDs (%d rows, each calibrated as the registered model is, by the other folds): the portfolio Jeffreys test is %s and %d grades are red; the model is registered but not labelled champion", cv.Rows, cv.Portfolio.Light, cv.RedGrades))
	case cv != nil && !champ.CalibrationPasses:
		r.Notes = append(r.Notes, fmt.Sprintf("The test part's calibration (of the model fitted on the train part, calibrated on the valid part) fails, but that model is not the one registered; the registered model's calibration, fitted on out-of-fold PDs, passes the same test cross-fitted on %d out-of-fold rows (portfolio %s, %d red grades).", cv.Rows, cv.Portfolio.Light, cv.RedGrades))
	case cv == nil && !champ.CalibrationPasses:
		r.LightReasons = append(r.LightReasons, "calibration fails: the portfolio Jeffreys test is red or more than one grade is red; the model is registered but not labelled champion")
	}
	for _, g := range champ.Grades {
		if g.Light == eval.Red || g.Light == eval.Yellow {
			r.LightReasons = append(r.LightReasons, fmt.Sprintf("grade %d: observed default rate %.3f%% against PD %.3f%% (Jeffreys p %s, %s)",
				g.Grade, 100*g.DefaultRate, 100*g.MeanPD, report.FormatP(g.JeffreysP), g.Light))
		}
	}
	// Candidates and ROC.
	for _, c := range res.Candidates {
		r.Candidates = append(r.Candidates, report.Candidate{
			Family: c.Family, AUC: report.Num(c.Test.AUC), AUCLow: report.Num(c.Test.AUCLow), AUCHigh: report.Num(c.Test.AUCHigh),
			Gini: report.Num(c.Test.Gini), KS: report.Num(c.Test.KS), Brier: report.Num(c.Test.Brier), LogLoss: report.Num(c.Test.LogLoss),
			Calibration: string(c.Light), Champion: c == champ, Note: fmt.Sprintf("fit %.1f s", c.FitSeconds),
		})
		if cv := c.CVCalibration; cv != nil {
			light := "passes"
			if !cv.Passes {
				light = "fails"
			}
			r.Candidates[len(r.Candidates)-1].Note += fmt.Sprintf("; calibration on out-of-fold PDs %s (portfolio %s, %d red grades)", light, cv.Portfolio.Light, cv.RedGrades)
		}
		if c.CV != nil {
			r.Candidates[len(r.Candidates)-1].CVAUC, r.Candidates[len(r.Candidates)-1].CVSE = report.Num(c.CV.MeanAUC), report.Num(c.CV.SE)
		} else {
			r.Candidates[len(r.Candidates)-1].CVAUC, r.Candidates[len(r.Candidates)-1].CVSE = report.Num(math.NaN()), report.Num(math.NaN())
		}
		if fpr, tpr, _, err := eval.ROC(testS.Y, c.TestPD); err == nil {
			x, y := report.Thin(fpr, tpr)
			r.ROC = append(r.ROC, report.Curve{Name: c.Family, X: report.Nums(x), Y: report.Nums(y)})
		}
	}
	if len(res.Tuning) > 0 {
		r.TuningBudget = fmt.Sprintf("%s of the cost model's seconds", res.TuneBudget.Round(100*time.Millisecond))
		if res.TuneWhole {
			r.TuningBudget += " (every candidate: on a book this small the automatic budget pays for the whole search)"
		}
		r.Notes = append(r.Notes, "Tuning judged its candidates on the selection folds, which hold every observation, the test part included: the cross-validated and test AUC of a tuned family are slightly optimistic, by the best of several tries.")
	}
	for _, t := range res.Tuning {
		row := report.TuningRow{Family: t.Family, Candidates: t.Candidates, Rungs: t.RungText(),
			DefaultAUC: report.Num(math.NaN()), BestAUC: report.Num(math.NaN()), Changed: t.Changed,
			BudgetSeconds: report.Num(t.BudgetSeconds), PlannedSeconds: report.Num(t.PlannedSeconds), Seconds: report.Num(t.Seconds), Note: t.Note}
		if len(t.Rungs) > 0 {
			row.DefaultAUC, row.BestAUC = report.Num(t.DefaultAUC), report.Num(t.BestAUC)
			row.Config = familyConfig(cfg, t.Family)
		}
		r.Tuning = append(r.Tuning, row)
	}
	r.KS = report.KSCurves(testS.Y, champ.TestPD, testS.W)
	r.MasterScale = report.MasterScale(cfg.Scale, testS.Y, champ.TestPD, testS.W)
	r.ByAsOf = report.ByAsOf(testS.AsOf, testS.Y, champ.TestPD, testS.W)
	if grades, err := cfg.Scale.Grades(champ.TestPD); err == nil {
		r.Migration = report.MigrationByCustomer(testS.CustomerIDs, testS.AsOf, grades)
	}
	r.Calibration = report.GradeRows(champ.Grades)
	r.CalibrationNotes = emptyGrades(cfg.Scale, champ.TestPD)
	r.Scores = report.ScoreHistogram(testS.Y, champ.TestPD, testS.W)

	// report.Stability of the score and of each feature, training against test.
	if psi, table, err := eval.PSI(trainPD, champ.TestPD, 10); err == nil {
		r.ScorePSI = report.PSIBins(psi, table)
		if psi >= 0.25 {
			r.LightReasons = append(r.LightReasons, fmt.Sprintf("score PSI %.3f between training and test: the population shifted", psi))
		}
	}
	r.FeaturePSI = featurePSI(trainS, testS, 40)
	r.IV = featureIV(trainS, 40)
	r.Importance = importance(champ)
	for _, c := range res.Candidates {
		if sc, ok := c.Model.(*scorecard.Model); ok {
			for _, b := range sc.Table() {
				r.Scorecard = append(r.Scorecard, report.BinRow{Feature: b.Feature, Bin: report.BinLabel(b.Feature, b.Kind, b.Lower, b.Upper, b.Value, b.RangeBins), Count: int(b.Count), Share: report.Num(b.Share),
					EventRate: report.Num(b.EventRate), WoE: report.Num(b.WoE), IV: report.Num(b.IV), Points: report.Num(b.Points)})
			}
		}
	}
	hp, _ := marshalHyper(champ.Family, cfg)
	window := fmt.Sprintf("history %s to %s; observed until %s", prep.First, prep.Last, prep.ObservedUntil)
	splitText := fmt.Sprintf("%s: %d train, %d validation, %d test observations", split.Method, len(split.Train), len(split.Valid), len(split.Test))
	if split.Method == "out-of-time" {
		splitText += fmt.Sprintf(" (as of %s–%s, %s–%s, %s–%s)", split.TrainDates[0], split.TrainDates[1],
			split.ValidDates[0], split.ValidDates[1], split.TestDates[0], split.TestDates[1])
	}
	r.Model = report.ModelCard{
		Family:          champ.Family,
		Purpose:         fmt.Sprintf("Probability that a customer defaults within %s of the scoring date, with a grade on the 10-grade master scale, for credit decisions and limits.", prep.Horizon),
		Book:            src.book,
		DataWindow:      window,
		Split:           splitText,
		Horizon:         prep.Horizon.String(),
		Observations:    fmt.Sprintf("%d customers; %d labelled observations with %d defaults; %d censored and %d after default left out", counts.Customers, counts.Labelled, counts.Defaults, counts.Censored, counts.AlreadyDefaulted),
		FeatureSet:      prep.Set.Version,
		Features:        prep.Set.Names(),
		HyperParameters: hp,
		DataFingerprint: res.Artifact.DataFingerprint,
		Limitations: []string{
			"Calibrated on the validation part; the PD level follows the default rate of the training window and needs recalibration when the portfolio's default rate moves.",
			"Features are point in time: only facts dated before the scoring date are used, and customer attributes are taken as known at every date.",
			"Performance is measured on held-out observations of the same book; revalidate on newer outcomes (credence validate) at least yearly.",
			"Defaults come from " + defaultSource(prep) + ".",
		},
	}
	return r
}

// testCounts says what the test part's default rate is of: its rows, or,
// for a weighted sample, the observations they stand for.
func testCounts(t eval.Metrics) string {
	if t.Weight > 0 {
		return fmt.Sprintf("%d defaults and %d non-defaults in the test part's sample, standing for %.0f observations", t.Defaults, t.N-t.Defaults, t.Weight)
	}
	return fmt.Sprintf("%d defaults in %d test observations", t.Defaults, t.N)
}

func defaultSource(prep *backtest.Prepared) string {
	if prep.DPDThreshold > 0 {
		return fmt.Sprintf("the default rule (%d days past due)", prep.DPDThreshold)
	}
	return "the book's defaults table"
}

// featurePSI returns the features' PSI, training against test, largest first.
func featurePSI(trainS, testS *backtest.Sample, limit int) []report.Stability {
	var out []report.Stability
	for j, name := range trainS.X.Names {
		psi, _, err := eval.PSI(trainS.Column(j), testS.Column(j), 10)
		if err != nil || math.IsNaN(psi) {
			continue
		}
		out = append(out, report.Stability{Feature: name, PSI: report.Num(psi), Band: eval.Stability(psi)})
	}
	slices.SortStableFunc(out, func(a, b report.Stability) int { return cmp.Compare(b.PSI, a.PSI) })
	return out[:min(len(out), limit)]
}

// featureIV returns each feature's information value over decile bins
// (missing values in a bin of their own) on the training part.
func featureIV(s *backtest.Sample, limit int) []report.Ranked {
	var out []report.Ranked
	bins := make([]int, s.X.Rows)
	for j, name := range s.X.Names {
		col := s.Column(j)
		edges := eval.QuantileEdges(col, 10)
		for i, v := range col {
			if math.IsNaN(v) {
				bins[i] = -1
			} else {
				bins[i], _ = slices.BinarySearch(edges, v)
			}
		}
		iv := eval.IV(s.Y, bins)
		if !math.IsNaN(iv) {
			out = append(out, report.Ranked{Feature: name, Value: report.Num(iv)})
		}
	}
	slices.SortStableFunc(out, func(a, b report.Ranked) int { return cmp.Compare(b.Value, a.Value) })
	return out[:min(len(out), limit)]
}

func importance(c *CandidateResult) []report.Ranked {
	var out []report.Ranked
	if m, ok := c.Model.(interface{ Importance() map[string]float64 }); ok {
		for f, v := range m.Importance() {
			out = append(out, report.Ranked{Feature: f, Value: report.Num(v)})
		}
	}
	slices.SortStableFunc(out, func(a, b report.Ranked) int {
		return cmp.Or(cmp.Compare(b.Value, a.Value), cmp.Compare(a.Feature, b.Feature))
	})
	return out[:min(len(out), 40)]
}

// emptyGrades explains each grade of the scale that no test PD falls in:
// where the champion's PDs stop below the grade's band and start again
// above it.
func emptyGrades(scale grade.Scale, pd []float64) []string {
	var notes []string
	for g := 1; g <= grade.Bands; g++ {
		lo, hi := scale.Lower(g), scale.Upper[g-1]
		below, above, in := math.Inf(-1), math.Inf(1), false
		for _, p := range pd {
			switch {
			case p <= lo && g > 1:
				below = max(below, p)
			case p > hi:
				above = min(above, p)
			default:
				in = true
			}
		}
		if in {
			continue
		}
		band := fmt.Sprintf("grade %d (PD above %.2f%% up to %.2f%%) holds no test observation: ", g, 100*lo, 100*hi)
		switch {
		case math.IsInf(above, 1):
			notes = append(notes, band+fmt.Sprintf("the highest PD the model gives on the test part is %.2f%%", 100*below))
		case math.IsInf(below, -1):
			notes = append(notes, band+fmt.Sprintf("the lowest PD the model gives on the test part is %.2f%%", 100*above))
		default:
			notes = append(notes, band+fmt.Sprintf("the model's test PDs go from %.2f%% straight to %.2f%%: it tells no customers apart in that range", 100*below, 100*above))
		}
	}
	return notes
}
