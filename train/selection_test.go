package train

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/calibrate"
)

func TestSelectionFoldsRollOverTimeByCustomer(t *testing.T) {
	// 60 customers observed at 8 month ends.
	s := &backtest.Sample{}
	for c := range 60 {
		for m := range 8 {
			s.CustomerIDs = append(s.CustomerIDs, string(rune('A'+c/26))+string(rune('a'+c%26)))
			s.AsOf = append(s.AsOf, datasets.YMD(2024, 1, 1).AddMonths(m))
			s.Y = append(s.Y, float64((c+m)%5/4))
		}
	}
	folds, method := selectionFolds(s, 4, 1)
	if method != FoldsRollingOrigin || len(folds) != 4 {
		t.Fatalf("%s with %d folds; want %s with 4", method, len(folds), FoldsRollingOrigin)
	}
	tested := map[int]bool{}
	for f, fd := range folds {
		if len(fd.train) == 0 || len(fd.test) == 0 || len(fd.stop) == 0 {
			t.Fatalf("fold %d: %d fitted, %d stopping, %d held out", f, len(fd.train), len(fd.stop), len(fd.test))
		}
		fitted := map[string]bool{}
		last := datasets.NoDate
		for _, i := range slices.Concat(fd.train, fd.stop) {
			fitted[s.CustomerIDs[i]] = true
			last = max(last, s.AsOf[i])
		}
		for _, i := range fd.test {
			if fitted[s.CustomerIDs[i]] {
				t.Errorf("fold %d: customer %s is fitted on and held out", f, s.CustomerIDs[i])
			}
			if s.AsOf[i] <= last {
				t.Errorf("fold %d: held out %s, not after the last fitted date %s", f, s.AsOf[i], last)
			}
			if tested[i] {
				t.Errorf("row %d held out twice", i)
			}
			tested[i] = true
		}
	}
	// One as-of date: folds by customer, every row held out once.
	one := &backtest.Sample{CustomerIDs: s.CustomerIDs[:60], AsOf: make([]datasets.Date, 60)}
	one.Y = s.Y[:60]
	folds, method = selectionFolds(one, 4, 1)
	n := 0
	for _, fd := range folds {
		n += len(fd.test)
	}
	if method != FoldsByCustomer || n != 60 {
		t.Errorf("%s holding out %d rows; want %s holding out all 60", method, n, FoldsByCustomer)
	}
}

// The champion is chosen by cross-validation and the registered model is
// refit on every observation: it differs from the candidate fitted on the
// train part, and its artifact records the cross-validation.
func TestRunRefitsTheChampion(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-validates")
	}
	b := synthBook(t, 3000)
	cfg := DefaultConfig()
	cfg.Families = []string{"logistic", "gbdt"}
	cfg.TuneBudget = "0" // tuning has tests of its own
	cfg.SelectionFolds = 3
	cfg.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
	res, err := Run(context.Background(), b, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Refit || res.Rows != int(res.Counts.Labelled) {
		t.Fatalf("refit %v on %d rows; want a refit on all %d labelled observations (%s)", res.Refit, res.Rows, res.Counts.Labelled, res.SelectionNote)
	}
	for _, c := range res.Candidates {
		if c.CV == nil || len(c.CV.AUC) != 3 || !(c.CV.MeanAUC > 0.6) || !(c.CV.SE > 0) {
			t.Fatalf("%s: cross-validation %+v", c.Family, c.CV)
		}
		// The best mean AUC among candidates whose calibration passes as
		// the champion's does; a blend on rolling-origin rounds must lead
		// its members by more than the paired standard error, and the
		// note says when it did not.
		if c.CV.MeanAUC > res.Champion.CV.MeanAUC && c.calibrationPasses() == res.Champion.calibrationPasses() {
			passedOver := c.Family == "blend" && c.CV.Folds == FoldsRollingOrigin && !blendLeads(c, res.Candidates)
			if !passedOver {
				t.Errorf("%s has the better CV AUC (%.4f > %.4f) but %s is champion", c.Family, c.CV.MeanAUC, res.Champion.CV.MeanAUC, res.Champion.Family)
			} else if !strings.Contains(res.SelectionNote, "as a blend must") {
				t.Errorf("the blend was passed over without a note: %q", res.SelectionNote)
			}
		}
	}
	if res.Artifact.Model == res.Champion.Model {
		t.Error("the registered model is the one fitted on the train part, not the refit")
	}
	var metrics struct {
		CV map[string]struct {
			MeanAUC float64 `json:"mean_auc"`
		} `json:"cross_validation"`
	}
	if err := json.Unmarshal(res.Artifact.Metrics, &metrics); err != nil || len(metrics.CV) != 3 {
		t.Errorf("artifact metrics lack the cross-validation: %v %+v", err, metrics)
	}
}

// Each round's out-of-fold PDs are calibrated by a calibration fitted on
// the other rounds' rows only, as the registered model's is fitted on
// out-of-fold PDs; rows no round judged are left out.
func TestCrossFitCalibrationNeverCalibratesARowOnItself(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 3000
	sel := &Selection{AUC: make([]float64, 3), OOF: make([]float64, n), Round: make([]int, n)}
	y := make([]float64, n)
	for i := range n {
		sel.Round[i] = i%4 - 1 // −1: the first block of a rolling origin
		sel.OOF[i] = r.Float64()
		if r.Float64() < sel.OOF[i]/2 {
			y[i] = 1
		}
	}
	cfg := DefaultConfig()
	pd, labels, _, err := crossFitCalibration(sel, y, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(pd) != 3*n/4 {
		t.Fatalf("%d calibrated rows; want the %d judged", len(pd), 3*n/4)
	}
	k := 0
	for round := range 3 {
		var fitPD, fitY []float64
		for i := range n {
			if sel.Round[i] >= 0 && sel.Round[i] != round {
				fitPD, fitY = append(fitPD, sel.OOF[i]), append(fitY, y[i])
			}
		}
		c, err := calibrate.Fit(cfg.Calibration, fitPD, fitY, nil, cfg.PDFloor)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if sel.Round[i] != round {
				continue
			}
			if pd[k] != c.Calibrate(sel.OOF[i]) || labels[k] != y[i] {
				t.Fatalf("round %d, row %d: PD %v label %v; want %v, %v", round, i, pd[k], labels[k], c.Calibrate(sel.OOF[i]), y[i])
			}
			k++
		}
	}
}

// The one-standard-error rule on paired differences: a simpler family
// whose mean AUC is below the best by less than the standard error of the
// per-fold differences is the champion; one that is below on every fold
// is not, however much the folds differ from one another.
func TestChampionByOneStandardError(t *testing.T) {
	cand := func(family string, aucs ...float64) *CandidateResult {
		mean, _ := meanSD(aucs)
		return &CandidateResult{Family: family, CalibrationPasses: true, CV: &Selection{AUC: aucs, MeanAUC: mean},
			CVCalibration: &CalibrationCheck{Passes: true}}
	}
	// Folds of very different difficulty (rolling over time); gbdt ahead
	// of logistic on every fold by 0.02, of scorecard by 0.01 ± 0.015.
	gbdt := cand("gbdt", 0.70, 0.80, 0.90)
	logistic := cand("logistic", 0.68, 0.78, 0.88)
	scorecard := cand("scorecard", 0.71, 0.77, 0.89)
	if got := chooseChampion([]*CandidateResult{scorecard, gbdt, logistic}, RuleOneSE); got != scorecard {
		t.Errorf("champion %s; want scorecard, below gbdt by less than the paired standard error", got.Family)
	}
	if got := chooseChampion([]*CandidateResult{scorecard, gbdt, logistic}, RuleBest); got != gbdt {
		t.Errorf("champion by the best mean %s; want gbdt", got.Family)
	}
	scorecard.CVCalibration.Passes = false
	if got := chooseChampion([]*CandidateResult{scorecard, gbdt, logistic}, RuleOneSE); got != gbdt {
		t.Errorf("champion %s; want gbdt: logistic is below it on every fold, and scorecard's calibration fails", got.Family)
	}
	if !withinOneSE(gbdt.CV, gbdt.CV) || withinOneSE(gbdt.CV, &Selection{AUC: []float64{0.7}, MeanAUC: 0.7}) {
		t.Error("withinOneSE: a family is within of itself; folds that do not pair are not")
	}
}

// With cross-validation the champion rule goes by the calibration the
// registered model gets, tested on out-of-fold PDs, not by the test
// part's model, which is not registered.
func TestChampionGoesByTheRegisteredModelsCalibration(t *testing.T) {
	better := &CandidateResult{Family: "gbdt", CalibrationPasses: false, CV: &Selection{MeanAUC: 0.78}, CVCalibration: &CalibrationCheck{Passes: true}}
	worse := &CandidateResult{Family: "scorecard", CalibrationPasses: true, CV: &Selection{MeanAUC: 0.77}, CVCalibration: &CalibrationCheck{Passes: true}}
	if got := chooseChampion([]*CandidateResult{worse, better}, RuleBest); got != better {
		t.Errorf("champion %s; want gbdt, whose out-of-fold calibration passes", got.Family)
	}
	better.CalibrationPasses, better.CVCalibration.Passes = true, false
	if got := chooseChampion([]*CandidateResult{worse, better}, RuleBest); got != worse {
		t.Errorf("champion %s; want scorecard: gbdt's out-of-fold calibration fails", got.Family)
	}
	// Without cross-validation the test part decides.
	better.CV, better.CVCalibration, worse.CV, worse.CVCalibration = nil, nil, nil, nil
	better.Test.AUC, worse.Test.AUC, better.CalibrationPasses = 0.78, 0.77, false
	if got := chooseChampion([]*CandidateResult{worse, better}, RuleBest); got != worse {
		t.Errorf("champion %s; want scorecard, the only one whose test part's calibration passes", got.Family)
	}
}

// By the best mean on rolling-origin rounds, the blend must lead each of
// its members by more than the standard error of their per-fold
// differences; on rounds by customer the highest mean is enough.
func TestBlendMustLeadItsMembers(t *testing.T) {
	cand := func(family string, aucs ...float64) *CandidateResult {
		mean, _ := meanSD(aucs)
		return &CandidateResult{Family: family, CalibrationPasses: true, CV: &Selection{Family: family, AUC: aucs, MeanAUC: mean},
			CVCalibration: &CalibrationCheck{Passes: true}}
	}
	logistic := cand("logistic", 0.78, 0.80, 0.82)
	gbdt := cand("gbdt", 0.80, 0.82, 0.84)
	scorecard := cand("scorecard", 0.79, 0.81, 0.83)
	// Ahead of the GBDT by 0.01 on every round: it leads.
	mixed := cand("blend", 0.81, 0.83, 0.85)
	mixed.CV.Folds = FoldsRollingOrigin
	mixed.CV.Members = []*Selection{logistic.CV, gbdt.CV}
	if got := chooseChampion([]*CandidateResult{scorecard, gbdt, logistic, mixed}, RuleBest); got != mixed {
		t.Errorf("champion %s; want the blend, ahead of both members on every round", got.Family)
	}
	// Ahead by 0.005 on average, behind on one round: the GBDT.
	mixed.CV.AUC, mixed.CV.MeanAUC = []float64{0.825, 0.815, 0.845}, 0.8283
	if got := chooseChampion([]*CandidateResult{scorecard, gbdt, logistic, mixed}, RuleBest); got != gbdt {
		t.Errorf("champion %s; want gbdt: the blend's lead is within the paired standard error", got.Family)
	}
	mixed.CV.Folds = FoldsByCustomer
	if got := chooseChampion([]*CandidateResult{scorecard, gbdt, logistic, mixed}, RuleBest); got != mixed {
		t.Errorf("champion %s; want the blend, the highest mean on rounds by customer", got.Family)
	}
}

// The refit takes its settings from every round by customer, from the last
// round on rolling-origin folds, the one fitted on the most dates.
func TestRefitFrom(t *testing.T) {
	fitted := []models.Model{nil, nil, nil}
	byCustomer := &Selection{Folds: FoldsByCustomer, Fitted: fitted}
	if got := refitFrom(byCustomer); len(got) != 3 {
		t.Errorf("by customer: %d rounds; want all 3", len(got))
	}
	rolling := &Selection{Folds: FoldsRollingOrigin, Fitted: fitted}
	if got := refitFrom(rolling); len(got) != 1 || &got[0] != &fitted[2] {
		t.Errorf("rolling origin: %d rounds; want the last", len(got))
	}
}
