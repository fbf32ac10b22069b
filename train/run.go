package train

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/blend"
	"github.com/credence-risk/credence/models/calibrate"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/eval"
	"github.com/credence-risk/credence/models/grade"
	"github.com/credence-risk/credence/models/report"
)

// Config is everything a training run depends on; it is stored in the
// model artifact so the model can be rebuilt.
type Config struct {
	Observations backtest.ObservationConfig `json:"observations"`
	// Families to fit; the champion is chosen among them. Default all
	// the registered families (Families).
	Families []string `json:"families"`
	// FamilyConfig holds each family's configuration by family name, as
	// the JSON its models.Family.Trainer takes; a family without one
	// trains with its Default. DefaultConfig holds every registered
	// family's Default. In JSON each is a key named for its family, beside
	// the fields below: {"families": [...], "gbdt": {"trees": 500, ...}}.
	FamilyConfig map[string]json.RawMessage `json:"-"`
	// Calibration is "isotonic-interpolated" (the default: isotonic that
	// keeps the model's ranking), "isotonic", "platt" or "none", fitted on
	// the validation part.
	Calibration string      `json:"calibration"`
	Scale       grade.Scale `json:"scale"`
	// PDFloor is the smallest PD an isotonic calibration gives (default
	// 0.0003, the regulatory PD floor): a bucket of the validation part
	// without defaults must not come out as a PD of zero.
	PDFloor float64 `json:"pd_floor"`
	// SelectionFolds cross-validates every family in this many rounds,
	// grouped by customer and rolling over time where the book has several
	// as-of dates; the champion is the family with the best mean held-out
	// AUC among those whose calibration passes, refit on all the labelled
	// rows and calibrated on its out-of-fold PDs. Below 2: the champion is
	// the best on the test part, as fitted on the train part.
	SelectionFolds int `json:"selection_folds"`
	// ChampionRule is how cross-validation chooses the champion among the
	// candidates whose calibration passes: RuleBest (the default, also
	// for "") takes the highest mean AUC; RuleOneSE the least complex
	// candidate within one standard error of it.
	ChampionRule string `json:"champion_rule"`
	// ValidShare and TestShare are the shares of rows held out for
	// early stopping and calibration (valid) and for the reported
	// metrics (test).
	ValidShare float64 `json:"valid_share"`
	TestShare  float64 `json:"test_share"`
	Seed       uint64  `json:"seed"`
	// TuneBudget bounds the hyperparameter tuning that precedes selection:
	// TuneAuto (DefaultConfig) scales it to the book, about 120 µs per
	// labelled observation, at least 15 s, and on a small book the whole
	// search where it costs at most a minute; a duration ("90s") sets it;
	// "0" or "" turns tuning off. It is not a deadline: before any fit
	// it is turned, through each family's cost model, into a number of
	// candidate configurations and the rows they are fitted on, so the
	// same seed, data and budget choose the same configurations on any
	// machine at any load.
	TuneBudget string `json:"tune_budget"`
	// Tuning records how the family configurations were tuned. Run sets
	// it in the configuration it stores, together with the tuned family
	// configurations and a TuneBudget of "0", so the stored configuration
	// rebuilds the same models without searching again.
	Tuning []Tuning `json:"tuning,omitempty"`
}

// DefaultConfig fits every family with its defaults.
func DefaultConfig() Config {
	return Config{
		Observations:   backtest.ObservationConfig{Features: defaultFeatures()},
		Families:       slices.Clone(Families),
		FamilyConfig:   defaultFamilyConfigs(),
		Calibration:    calibrate.MethodInterpolated,
		Scale:          grade.DefaultScale(),
		PDFloor:        0.0003,
		ValidShare:     0.2,
		TestShare:      0.2,
		SelectionFolds: 5,
		ChampionRule:   RuleBest,
		Seed:           1,
		TuneBudget:     TuneAuto,
	}
}

// Candidate is one fitted family with its held-out results.
type CandidateResult struct {
	Family     string
	Model      models.Model
	Calibrator calibrate.Calibrator
	Test       eval.Metrics
	Valid      eval.Metrics
	// TestPD are the calibrated PDs of the test rows.
	TestPD      []float64
	Grades      []eval.GradeRow
	Portfolio   eval.GradeRow
	HLStat, HLP float64
	// CalibrationPasses: the portfolio Jeffreys test is not red and at
	// most one grade is red.
	CalibrationPasses bool
	Light             eval.Light
	FitSeconds        float64
	// CV is the family's cross-validation; nil when selection did not
	// cross-validate.
	CV *Selection
	// CVCalibration is the same test of the calibration the registered
	// model gets (fitted on out-of-fold PDs), cross-fitted on the folds:
	// set when CV is.
	CVCalibration *CalibrationCheck
}

// CalibrationCheck is the traffic-light test of calibrated PDs against
// outcomes: the portfolio's and each grade's Jeffreys test.
type CalibrationCheck struct {
	Rows      int
	Portfolio eval.GradeRow
	Grades    []eval.GradeRow
	RedGrades int
	// Passes: the portfolio test is not red and at most one grade is red.
	Passes bool
}

// light is the check's traffic light: red when it fails, yellow when a
// grade is red, else the portfolio's.
func (c *CalibrationCheck) light() eval.Light {
	switch {
	case !c.Passes:
		return eval.Red
	case c.RedGrades > 0 && c.Portfolio.Light == eval.Green:
		return eval.Yellow
	}
	return c.Portfolio.Light
}

// checkCalibration runs the traffic-light test on calibrated PDs, rows
// weighted by w (nil: one each).
func checkCalibration(scale grade.Scale, pd, y, w []float64) (*CalibrationCheck, error) {
	grades, err := scale.Grades(pd)
	if err != nil {
		return nil, err
	}
	c := &CalibrationCheck{Rows: len(pd)}
	if c.Grades, err = eval.CalibrationByGrade(grades, pd, y, w); err != nil {
		return nil, err
	}
	if c.Portfolio, err = eval.Calibration(pd, y, w); err != nil {
		return nil, err
	}
	for _, g := range c.Grades {
		if g.Light == eval.Red {
			c.RedGrades++
		}
	}
	c.Passes = c.Portfolio.Light != eval.Red && c.RedGrades <= 1
	return c, nil
}

// calibrationPasses is what the champion rule and the registry's label
// go by: with cross-validation, the cross-fitted test of the calibration
// the registered model gets; without, the test part's.
func (c *CandidateResult) calibrationPasses() bool {
	if c.CVCalibration != nil {
		return c.CVCalibration.Passes
	}
	return c.CalibrationPasses
}

// Result is a finished training run: the champion's artifact, ready for
// the registry, and its report.
type Result struct {
	Artifact   *artifact.Artifact
	Champion   *CandidateResult
	Candidates []*CandidateResult
	// Passed: the champion's calibration passes, so it may be labelled
	// champion in the registry.
	Passed bool
	Report *report.Report
	Counts backtest.Counts
	Split  Split
	// Refit: the artifact's model is the champion's family refit on all
	// Rows labelled rows, calibrated on its out-of-fold PDs; otherwise it
	// is the champion as fitted on the train part.
	Refit bool
	Rows  int
	// SelectionNote says why selection fell back to the test part, if it
	// did.
	SelectionNote string
	// Tuning is how each family's configuration was tuned; empty when
	// tuning was off. TuneBudget is the budget it had; TuneWhole says an
	// automatic budget paid for every candidate (autoWholeSearchMax).
	Tuning     []Tuning
	TuneBudget time.Duration
	TuneWhole  bool
}

// source is what a training run learns from: the observations of a book,
// or a training sample drawn from one (drawn set).
type source struct {
	book    string // the book's directory
	skipped *datasets.SkipLog
	prep    *backtest.Prepared
	counts  backtest.Counts
	sample  *backtest.Sample
	drawn   *SampleMeta
}

// Run trains on the book: observations → features → split → fit every
// family → calibrate → choose the champion → validate. The champion rule
// is chooseChampion's.
func Run(ctx context.Context, book *datasets.Book, cfg Config, progress func(stage string)) (*Result, error) {
	if progress == nil {
		progress = func(string) {}
	}
	families, err := resolveConfig(&cfg)
	if err != nil {
		return nil, err
	}
	progress("reading the book")
	prep, err := backtest.Prepare(ctx, book, cfg.Observations)
	if err != nil {
		return nil, err
	}
	// Store what was resolved from the book, so the configuration in the
	// artifact rebuilds the same observations.
	cfg.Observations.Horizon = prep.Horizon
	cfg.Observations.Plan = prep.Plan
	cfg.Observations.DPDThreshold = prep.DPDThreshold
	progress("building features")
	sample, counts, err := backtest.Collect(ctx, book, prep, cfg.Observations.Workers)
	if err != nil {
		return nil, err
	}
	return fit(ctx, source{book: book.Dir, skipped: book.Skipped, prep: prep, counts: counts, sample: sample}, cfg, families, progress)
}

// RunSample trains on the training sample at path (a file or its shard
// set, as credence sample writes it): every default and a weighted share
// of the non-defaults, fitted, calibrated and validated with their
// weights, so that the PDs are those of the book the sample stands for.
// The sample fixes the feature set and the observation rules;
// cfg.Observations is replaced by the sample's.
func RunSample(ctx context.Context, path string, cfg Config, progress func(stage string)) (*Result, error) {
	if progress == nil {
		progress = func(string) {}
	}
	families, err := resolveConfig(&cfg)
	if err != nil {
		return nil, err
	}
	progress("reading the sample")
	sample, meta, err := ReadSample(ctx, path)
	if err != nil {
		return nil, err
	}
	workers := cfg.Observations.Workers
	cfg.Observations = meta.Observations
	cfg.Observations.Workers = workers
	return fit(ctx, source{book: meta.Book, skipped: datasets.NewSkipLog(), prep: meta.Prepared(), counts: meta.Counts,
		sample: sample, drawn: meta}, cfg, families, progress)
}

// resolveConfig checks cfg and fills in every fitted family's
// configuration, defaults included, so that the artifact rebuilds the
// same models; it returns the families to fit.
func resolveConfig(cfg *Config) ([]string, error) {
	if err := cfg.Scale.Validate(); err != nil {
		return nil, err
	}
	if _, err := ParseTuneBudget(cfg.TuneBudget, 0); err != nil {
		return nil, err
	}
	switch cfg.ChampionRule {
	case "", RuleBest, RuleOneSE:
	default:
		return nil, fmt.Errorf("champion rule %q: want %s or %s", cfg.ChampionRule, RuleBest, RuleOneSE)
	}
	families := cfg.Families
	if len(families) == 0 {
		families = Families
	}
	cfg.FamilyConfig = maps.Clone(cfg.FamilyConfig)
	if cfg.FamilyConfig == nil {
		cfg.FamilyConfig = map[string]json.RawMessage{}
	}
	for _, fam := range families {
		if _, err := lookupFamily(fam); err != nil {
			return nil, err
		}
		cfg.FamilyConfig[fam] = familyConfig(*cfg, fam)
	}
	return families, nil
}

// fit is a training run from the observations on: split, tune, fit every
// family, choose and refit the champion, validate and report.
func fit(ctx context.Context, src source, cfg Config, families []string, progress func(stage string)) (*Result, error) {
	sample, prep := src.sample, src.prep
	if err := sample.Check(); err != nil {
		return nil, err
	}
	split, err := SplitSample(sample, cfg.ValidShare, cfg.TestShare, cfg.Seed)
	if err != nil {
		return nil, err
	}
	trainS, validS, testS := sample.Subset(split.Train), sample.Subset(split.Valid), sample.Subset(split.Test)
	for name, s := range map[string]*backtest.Sample{"train": trainS, "validation": validS, "test": testS} {
		if !hasBothLabels(s.Y, allRows(len(s.Y))) {
			return nil, fmt.Errorf("the %s part has %d rows but not both defaults and non-defaults; the book needs more history or defaults", name, len(s.Y))
		}
	}
	budget, _ := ParseTuneBudget(cfg.TuneBudget, sample.X.Rows)
	whole := false
	var tunedCV map[string]*Selection
	var tunings []Tuning
	if budget > 0 {
		t, err := tune(ctx, sample, cfg, families, budget, progress)
		if err != nil {
			return nil, fmt.Errorf("tune: %w", err)
		}
		for fam, config := range t.configs {
			cfg.FamilyConfig[fam] = config
		}
		whole = t.whole
		tunedCV, tunings, budget = t.cv, t.records, t.budget
		// The stored configuration rebuilds these models: tuned, not to
		// be tuned again.
		cfg.TuneBudget, cfg.Tuning = "0", tunings
	}
	var cands []*CandidateResult
	for _, fam := range families {
		progress("fitting " + fam)
		c, err := fitCandidate(ctx, fam, cfg, trainS, validS, testS)
		if err != nil {
			return nil, fmt.Errorf("fit %s: %w", fam, err)
		}
		cands = append(cands, c)
	}
	if members := blendMembers(cands); members != nil {
		c, err := blendCandidate(members, cfg, validS, testS)
		if err != nil {
			return nil, err
		}
		cands = append(cands, c)
	}
	res := &Result{Candidates: cands, Counts: src.counts, Split: split, Rows: sample.X.Rows, Tuning: tunings, TuneBudget: budget, TuneWhole: whole}
	model, calibrator, err := selectAndRefit(ctx, sample, cands, cfg, tunedCV, progress, res)
	if err != nil {
		return nil, err
	}
	champ := res.Champion
	res.Passed = champ.calibrationPasses()
	progress("validating")
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	scaleJSON, err := json.Marshal(cfg.Scale)
	if err != nil {
		return nil, err
	}
	// The reference distributions kept with the model: the PDs of the rows
	// it learnt from, as the registered model gives them.
	learnt := trainS
	if res.Refit {
		learnt = sample
	}
	refPD := calibratedPDs(model, calibrator, learnt)
	stored := artifactMetrics(champ, res.Candidates)
	stored["reference"] = backtest.NewReference(learnt, refPD)
	// The report compares like with like: the candidate judged on the test
	// part, on its own train part.
	trainPD := calibratedPDs(champ.Model, champ.Calibrator, trainS)
	fingerprint := sample.Fingerprint()
	metrics, err := json.Marshal(stored)
	if err != nil {
		return nil, err
	}
	res.Artifact = &artifact.Artifact{
		Family:          champ.Family,
		Model:           model,
		Calibrator:      calibrator,
		Scale:           scaleJSON,
		FeatureSet:      prep.Set,
		TrainingConfig:  cfgJSON,
		DataFingerprint: fingerprint,
		Metrics:         metrics,
		Notes: map[string]string{
			"book":           src.book,
			"horizon":        prep.Horizon.String(),
			"observed_until": prep.ObservedUntil.String(),
			"split":          split.Method,
		},
	}
	if src.drawn != nil {
		res.Artifact.Notes["sample"] = src.drawn.Rule.String()
	}
	res.Report = buildReport(src, trainS, testS, trainPD, split, cfg, res)
	return res, nil
}

// calibratedPDs returns the calibrated PD of every row of s.
func calibratedPDs(m models.Model, c calibrate.Calibrator, s *backtest.Sample) []float64 {
	pd := make([]float64, s.X.Rows)
	m.PDs(s.X, pd)
	for i := range pd {
		pd[i] = c.Calibrate(pd[i])
	}
	return pd
}

func allRows(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func fitCandidate(ctx context.Context, fam string, cfg Config, trainS, validS, testS *backtest.Sample) (*CandidateResult, error) {
	f, err := lookupFamily(fam)
	if err != nil {
		return nil, err
	}
	tr, err := f.Trainer(familyConfig(cfg, fam), cfg.Seed)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	m, err := tr.Fit(ctx, &trainS.Dataset, &validS.Dataset)
	if err != nil {
		return nil, err
	}
	return judgeCandidate(fam, m, time.Since(t0).Seconds(), cfg, validS, testS)
}

// judgeCandidate calibrates m, fitted on the train part, on the
// validation part and tests it on the test part.
func judgeCandidate(fam string, m models.Model, fitSeconds float64, cfg Config, validS, testS *backtest.Sample) (*CandidateResult, error) {
	c := &CandidateResult{Family: fam, Model: m, FitSeconds: fitSeconds}
	var err error
	validRaw := make([]float64, validS.X.Rows)
	m.PDs(validS.X, validRaw)
	c.Calibrator, err = calibrate.Fit(cfg.Calibration, validRaw, validS.Y, validS.W, cfg.PDFloor)
	if err != nil {
		return nil, fmt.Errorf("calibrate: %w", err)
	}
	for i := range validRaw {
		validRaw[i] = c.Calibrator.Calibrate(validRaw[i])
	}
	if c.Valid, err = eval.Summary(validS.Y, validRaw, validS.W); err != nil {
		return nil, err
	}
	c.TestPD = make([]float64, testS.X.Rows)
	m.PDs(testS.X, c.TestPD)
	for i := range c.TestPD {
		c.TestPD[i] = c.Calibrator.Calibrate(c.TestPD[i])
	}
	if c.Test, err = eval.Summary(testS.Y, c.TestPD, testS.W); err != nil {
		return nil, err
	}
	check, err := checkCalibration(cfg.Scale, c.TestPD, testS.Y, testS.W)
	if err != nil {
		return nil, err
	}
	c.Grades, c.Portfolio, c.CalibrationPasses = check.Grades, check.Portfolio, check.Passes
	c.HLStat, c.HLP = eval.HosmerLemeshow(testS.Y, c.TestPD, testS.W, 10)
	c.Light = check.light()
	return c, nil
}

// Champion rules (Config.ChampionRule).
const (
	// RuleBest takes the candidate with the highest mean cross-validated
	// AUC.
	RuleBest = "best"
	// RuleOneSE takes the least complex candidate whose mean AUC is within
	// one standard error of the highest.
	RuleOneSE = "one-se"
)

// chooseChampion applies the champion rule. Among the candidates whose
// calibration passes (all of them when none does): with cross-validation
// and RuleBest, the highest mean AUC, except that on rolling-origin folds
// the blend, made of two of the others, must lead each of its members by
// more than the standard error of their per-fold differences. The early
// rounds there fit on the earliest dates alone, where members are weak
// and a blend gains the most, so the mean over rounds favours the blend
// more than the refit on every date bears out (on credit-card-approval
// the blend led the GBDT by 0.0031 ± 0.0052, from the first round, and
// ranked the held-out customers 0.0054 worse); rounds by customer each fit
// on most of the book, as the refit does. With RuleOneSE, the
// one-standard-error rule (Hastie, Tibshirani & Friedman, The Elements of
// Statistical Learning, §7.10), on paired differences: the least complex
// family (models.Family Complexity) whose mean AUC is below the best mean
// by no more than the standard error of their per-fold differences. The
// folds are the same for every family, so the difference is judged on
// them pairwise: a book whose rounds differ in difficulty (rolling over
// time) widens each family's own interval but not the difference. Without
// cross-validation, the highest test AUC. Remaining ties go to the higher
// AUC, then to the family listed first.
func chooseChampion(cands []*CandidateResult, rule string) *CandidateResult {
	pool := slices.DeleteFunc(slices.Clone(cands), func(c *CandidateResult) bool { return !c.calibrationPasses() })
	if len(pool) == 0 {
		pool = slices.Clone(cands)
	}
	highest := func(pool []*CandidateResult) *CandidateResult {
		best := pool[0]
		for _, c := range pool[1:] {
			if auc(c) > auc(best) {
				best = c
			}
		}
		return best
	}
	best := highest(pool)
	if best.CV == nil {
		return best
	}
	if rule != RuleOneSE {
		if best.Family == blend.Name && best.CV.Folds == FoldsRollingOrigin && !blendLeads(best, pool) && len(pool) > 1 {
			best = highest(slices.DeleteFunc(slices.Clone(pool), func(c *CandidateResult) bool { return c == best }))
		}
		return best
	}
	champ := best
	for _, c := range pool {
		if c.CV == nil || !withinOneSE(best.CV, c.CV) {
			continue
		}
		if k, kc := complexity(c.Family), complexity(champ.Family); k < kc || (k == kc && auc(c) > auc(champ)) {
			champ = c
		}
	}
	return champ
}

// blendLeads reports whether the blend b leads each of its members in
// pool by more than the standard error of their per-fold differences.
func blendLeads(b *CandidateResult, pool []*CandidateResult) bool {
	for _, c := range pool {
		if c.CV == nil || !slices.ContainsFunc(b.CV.Members, func(m *Selection) bool { return m == c.CV }) {
			continue
		}
		if se := pairedSE(b.CV, c.CV); !(b.CV.MeanAUC-c.CV.MeanAUC > se) {
			return false
		}
	}
	return true
}

// withinOneSE reports whether c's mean AUC is below best's by no more than
// the standard error of their per-fold differences.
func withinOneSE(best, c *Selection) bool {
	if best == c {
		return true
	}
	se := pairedSE(best, c)
	return se >= 0 && best.MeanAUC-c.MeanAUC <= se
}

// pairedSE is the standard error of the per-fold differences of a and b;
// NaN when they were not judged on the same folds.
func pairedSE(a, b *Selection) float64 {
	if len(a.AUC) != len(b.AUC) || len(a.AUC) < 2 {
		return math.NaN()
	}
	d := make([]float64, len(a.AUC))
	for k := range d {
		d[k] = a.AUC[k] - b.AUC[k]
	}
	// The sample standard deviation (n − 1): a handful of folds.
	_, sd := meanSD(d)
	n := float64(len(d))
	return sd * math.Sqrt(n/(n-1)) / math.Sqrt(n)
}

// bestCV is the candidate with the highest cross-validated AUC among those
// whose calibration passes as champ's does.
func bestCV(cands []*CandidateResult, champ *CandidateResult) *CandidateResult {
	best := champ
	for _, c := range cands {
		if c.CV != nil && c.calibrationPasses() == champ.calibrationPasses() && auc(c) > auc(best) {
			best = c
		}
	}
	return best
}

// complexity is a family's Complexity; unknown families rank last.
func complexity(family string) int {
	if family == blend.Name {
		return blend.Complexity
	}
	if f, ok := catalog.Lookup(family); ok && f.Complexity > 0 {
		return f.Complexity
	}
	return math.MaxInt
}

// auc is what the champion rule ranks by: the mean cross-validated AUC
// when the candidate has one, else its test AUC.
func auc(c *CandidateResult) float64 {
	x := c.Test.AUC
	if c.CV != nil {
		x = c.CV.MeanAUC
	}
	if math.IsNaN(x) {
		return -1
	}
	return x
}

// selectAndRefit cross-validates every candidate, chooses the champion
// and returns the model to register with its calibrator: the champion's
// family refit on all of sample and calibrated on its out-of-fold PDs; or,
// without cross-validation (SelectionFolds < 2, or a book too small for
// it, noted in res), the champion as fitted on the train part. tunedCV
// holds the cross-validations tuning already made of a family's
// configuration on the selection folds; they are used as they are.
func selectAndRefit(ctx context.Context, sample *backtest.Sample, cands []*CandidateResult, cfg Config, tunedCV map[string]*Selection, progress func(string), res *Result) (models.Model, calibrate.Calibrator, error) {
	heldOut := func() (models.Model, calibrate.Calibrator, error) {
		for _, c := range cands {
			c.CV, c.CVCalibration = nil, nil
		}
		res.Champion = chooseChampion(cands, cfg.ChampionRule)
		return res.Champion.Model, res.Champion.Calibrator, nil
	}
	if cfg.SelectionFolds < 2 {
		return heldOut()
	}
	var blended *CandidateResult
	for _, c := range cands {
		if c.Family == blend.Name {
			blended = c
			continue
		}
		if sel, ok := tunedCV[c.Family]; ok {
			c.CV = sel
			continue
		}
		progress(fmt.Sprintf("cross-validating %s (%d rounds)", c.Family, cfg.SelectionFolds))
		sel, err := crossValidate(ctx, sample, c.Family, cfg, cfg.SelectionFolds)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			res.SelectionNote = fmt.Sprintf("cross-validation was not possible (%v): the champion is chosen on the test part and not refit", err)
			return heldOut()
		}
		c.CV = sel
	}
	if blended != nil {
		var sels []*Selection
		for _, c := range cands {
			sels = append(sels, c.CV)
		}
		sel, err := crossValidateBlend(sels, sample.Y, sample.W)
		if err != nil {
			// Not a candidate without a cross-validation to judge it by.
			cands = slices.DeleteFunc(slices.Clone(cands), func(c *CandidateResult) bool { return c == blended })
			res.Candidates = cands
			res.SelectionNote = strings.TrimPrefix(res.SelectionNote+"; ", "; ") + fmt.Sprintf("the blend is not a candidate: %v", err)
		} else {
			blended.CV = sel
		}
	}
	// The calibration the registered model gets, tested on rows it was
	// not fitted on: the test part's model is not the one registered, and
	// its calibration, fitted on the smaller valid part, decides nothing.
	// A family whose folds are too small to cross-fit is judged on the
	// test part, as without cross-validation.
	var notFitted []string
	for _, c := range cands {
		pd, y, w, err := crossFitCalibration(c.CV, sample.Y, sample.W, cfg)
		if err == nil {
			c.CVCalibration, err = checkCalibration(cfg.Scale, pd, y, w)
		}
		if err != nil {
			notFitted = append(notFitted, fmt.Sprintf("%s (%v)", c.Family, err))
		}
	}
	if len(notFitted) > 0 {
		res.SelectionNote = fmt.Sprintf("the calibration on out-of-fold PDs could not be tested for %s: the test part's calibration decides there", strings.Join(notFitted, ", "))
	}
	champ := chooseChampion(cands, cfg.ChampionRule)
	res.Champion = champ
	if best := bestCV(cands, champ); best != champ && best.Family == blend.Name && cfg.ChampionRule != RuleOneSE {
		res.SelectionNote = strings.TrimPrefix(res.SelectionNote+"; ", "; ") + fmt.Sprintf(
			"the blend's cross-validated AUC %.4f is the highest, but it does not lead each of its members by more than the standard error of their per-fold differences, as a blend must on rolling-origin rounds: %s, the best of the others (%.4f), is the champion",
			auc(best), champ.Family, auc(champ))
	} else if best != champ {
		res.SelectionNote = strings.TrimPrefix(res.SelectionNote+"; ", "; ") + fmt.Sprintf(
			"%s is the champion by the one-standard-error rule: its cross-validated AUC %.4f is below %s's %.4f by less than the standard error of their per-fold differences (%.4f), and it is the simpler model",
			champ.Family, auc(champ), best.Family, auc(best), pairedSE(best.CV, champ.CV))
	}
	progress("refitting " + champ.Family + " on all observations")
	model, err := refit(ctx, sample, champ.CV, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("refit %s: %w", champ.Family, err)
	}
	pd, y, w := outOfFold(champ.CV, sample.Y, sample.W)
	calibrator, err := calibrate.Fit(cfg.Calibration, pd, y, w, cfg.PDFloor)
	if err != nil {
		return nil, nil, fmt.Errorf("calibrate the refit %s on its out-of-fold PDs: %w", champ.Family, err)
	}
	res.Refit = true
	return model, calibrator, nil
}

// artifactMetrics is what the artifact keeps: the champion's test and
// validation metrics and every candidate's test metrics.
func artifactMetrics(champ *CandidateResult, cands []*CandidateResult) map[string]any {
	byFamily := map[string]eval.Metrics{}
	for _, c := range cands {
		byFamily[c.Family] = c.Test
	}
	out := map[string]any{
		"test":                 champ.Test,
		"validation":           champ.Valid,
		"calibration":          champ.Portfolio,
		"calibration_by_grade": champ.Grades,
		"hosmer_lemeshow_p":    finiteOrNil(champ.HLP),
		"candidates":           byFamily,
	}
	type cvJSON struct {
		Folds   string    `json:"folds"`
		AUC     []float64 `json:"auc"`
		MeanAUC float64   `json:"mean_auc"`
		SE      float64   `json:"se"`
	}
	cv := map[string]cvJSON{}
	for _, c := range cands {
		if c.CV != nil {
			cv[c.Family] = cvJSON{Folds: c.CV.Folds, AUC: c.CV.AUC, MeanAUC: c.CV.MeanAUC, SE: c.CV.SE}
		}
	}
	if len(cv) > 0 {
		out["cross_validation"] = cv
	}
	return out
}

func finiteOrNil(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}
