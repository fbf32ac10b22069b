// Package gbdt is Credence's gradient-boosted decision trees, the champion
// probability-of-default model family. It boosts on the binary logistic
// loss with histogram-based split finding, as XGBoost's tree_method=hist
// and LightGBM do: the training matrix is cut once into at most MaxBins
// quantile bins per feature, and each split is chosen from per-feature
// histograms of gradient and hessian sums.
//
// Missing values (NaN) go down a default branch that each split learns.
// Monotone constraints keep the PD non-decreasing (or non-increasing) in
// the features a credit policy requires. Reasons are exact TreeSHAP
// contributions, and the JSON form round-trips every float64 bit, so a
// saved model predicts exactly as the one that was trained.
package gbdt

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"

	"github.com/credence-risk/credence/models"
)

// Name is the family name its models report and artifacts store.
const Name = "gbdt"

// maxTreeDepth bounds every tree's depth, also when MaxDepth is 0: the
// TreeSHAP scratch grows with its square.
const maxTreeDepth = 256

// Config holds the boosting settings. Zero values mean what each field
// says; DefaultConfig gives the recommended starting point.
type Config struct {
	// Trees is the number of boosting rounds, the most trees the model
	// keeps. Zero means 300.
	Trees int `json:"trees"`
	// LearningRate shrinks every tree's leaf values. Zero means 0.05.
	LearningRate float64 `json:"learning_rate"`
	// MaxDepth caps the depth of each tree (a stump has depth 1). Zero
	// leaves depth free when MaxLeaves is set, and means 5 when it is not.
	MaxDepth int `json:"max_depth"`
	// MaxLeaves caps the leaves of each tree and grows trees best split
	// first, as LightGBM does. Zero grows depth-wise with no cap on leaves.
	MaxLeaves int `json:"max_leaves"`
	// MinChildWeight is the least hessian sum a child may hold
	// (XGBoost's min_child_weight). Zero means none; DefaultConfig sets 1.
	MinChildWeight float64 `json:"min_child_weight"`
	// L1 (alpha) and L2 (lambda) regularise leaf weights. Zero means none;
	// DefaultConfig sets L2 to 1, XGBoost's default.
	L1 float64 `json:"l1"`
	L2 float64 `json:"l2"`
	// MinSplitGain (gamma) is the least loss reduction a split must make.
	MinSplitGain float64 `json:"min_split_gain"`
	// Subsample is the chance that a row takes part in a tree; ColSample
	// the fraction of features a tree may split on. Zero means 1.
	Subsample float64 `json:"subsample"`
	ColSample float64 `json:"col_sample"`
	// MaxBins is the number of bins per feature, the one for missing
	// values included (so MaxBins−1 quantile bins). Up to 256 bins are
	// stored in one byte per value. Zero means 256.
	MaxBins int `json:"max_bins"`
	// EarlyStoppingRounds stops boosting when the validation log loss has
	// not improved for this many rounds and keeps the trees up to the best
	// round. It needs a validation set; zero turns it off.
	EarlyStoppingRounds int `json:"early_stopping_rounds"`
	// Monotone constrains the PD per feature name: +1 non-decreasing in
	// the feature, −1 non-increasing, 0 (or absent) free.
	Monotone map[string]int `json:"monotone,omitempty"`
	// Workers is the number of goroutines that train. Zero means
	// runtime.GOMAXPROCS(0). The model does not depend on it.
	Workers int `json:"workers"`
	// Seed drives row and feature sampling and the row sample the bin
	// cut points are taken from.
	Seed uint64 `json:"seed"`
	// BaseScore is the PD every model starts from before its first tree
	// (XGBoost's base_score). Zero means the training default rate.
	BaseScore float64 `json:"base_score"`
	// Bag boosts this many ensembles, with seeds Seed, Seed+1, …, and
	// keeps their mean: every tree of every ensemble, its leaf values
	// divided by Bag, which is still one sum of trees (so predictions,
	// SHAP reasons and the XGBoost export are unchanged in kind). The
	// sampling differs between them, and averaging takes out part of
	// what one draw of it adds to the ranking's noise. Zero or 1: one
	// ensemble.
	Bag int `json:"bag,omitempty"`
}

// DefaultConfig returns the recommended settings, XGBoost's defaults for
// the regularisation and Credence's for the rest.
func DefaultConfig() Config {
	return Config{
		Trees:          300,
		LearningRate:   0.05,
		MaxDepth:       5,
		MinChildWeight: 1,
		L2:             1,
		Subsample:      1,
		ColSample:      1,
		MaxBins:        256,
	}
}

// settings is a Config with its zero values resolved and its names turned
// into column indices.
type settings struct {
	Config
	monotone    []int8 // per feature: +1, −1 or 0
	hasMonotone bool
	maxDepth    int // always > 0
}

func (c Config) resolve(names []string) (settings, error) {
	s := settings{Config: c}
	if s.Trees == 0 {
		s.Trees = 300
	}
	if s.LearningRate == 0 {
		s.LearningRate = 0.05
	}
	if s.MaxDepth == 0 && s.MaxLeaves == 0 {
		s.MaxDepth = 5
	}
	if s.Subsample == 0 {
		s.Subsample = 1
	}
	if s.ColSample == 0 {
		s.ColSample = 1
	}
	if s.MaxBins == 0 {
		s.MaxBins = 256
	}
	if s.Workers == 0 {
		s.Workers = runtime.GOMAXPROCS(0)
	}
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(s.Trees > 0, "trees %d is not positive", s.Trees)
	check(s.LearningRate > 0 && !math.IsInf(s.LearningRate, 1), "learning rate %v is not positive", s.LearningRate)
	check(s.MaxDepth >= 0 && s.MaxDepth <= maxTreeDepth, "max depth %d is not in [0, %d]", s.MaxDepth, maxTreeDepth)
	check(s.MaxLeaves == 0 || s.MaxLeaves >= 2, "max leaves %d is neither 0 nor at least 2", s.MaxLeaves)
	check(s.MinChildWeight >= 0 && !math.IsInf(s.MinChildWeight, 1), "min child weight %v is negative", s.MinChildWeight)
	check(s.L1 >= 0 && !math.IsInf(s.L1, 1), "L1 %v is negative", s.L1)
	check(s.L2 >= 0 && !math.IsInf(s.L2, 1), "L2 %v is negative", s.L2)
	check(s.MinSplitGain >= 0 && !math.IsInf(s.MinSplitGain, 1), "min split gain %v is negative", s.MinSplitGain)
	check(s.Subsample > 0 && s.Subsample <= 1, "subsample %v is not in (0, 1]", s.Subsample)
	check(s.ColSample > 0 && s.ColSample <= 1, "col sample %v is not in (0, 1]", s.ColSample)
	check(s.MaxBins >= 2 && s.MaxBins <= 1<<16, "max bins %d is not in [2, 65536]", s.MaxBins)
	check(s.EarlyStoppingRounds >= 0, "early stopping rounds %d is negative", s.EarlyStoppingRounds)
	check(s.Workers > 0, "workers %d is negative", s.Workers)
	check(s.BaseScore >= 0 && s.BaseScore < 1, "base score %v is not a PD in (0, 1) or 0", s.BaseScore)
	check(s.Bag >= 0 && s.Bag <= 100, "bag %d is not in [0, 100]", s.Bag)
	s.maxDepth = s.MaxDepth
	if s.maxDepth == 0 {
		s.maxDepth = maxTreeDepth
	}
	s.monotone = make([]int8, len(names))
	for _, name := range slices.Sorted(maps.Keys(c.Monotone)) {
		dir := c.Monotone[name]
		j := slices.Index(names, name)
		switch {
		case j < 0:
			errs = append(errs, fmt.Errorf("monotone constraint on %q, which is not a feature", name))
		case dir < -1 || dir > 1:
			errs = append(errs, fmt.Errorf("monotone constraint %d on %q is not -1, 0 or 1", dir, name))
		default:
			s.monotone[j] = int8(dir)
			s.hasMonotone = s.hasMonotone || dir != 0
		}
	}
	if err := errors.Join(errs...); err != nil {
		return s, fmt.Errorf("gbdt: config: %w", err)
	}
	return s, nil
}

// Trainer fits gradient-boosted trees; it implements models.Trainer.
type Trainer struct {
	Config Config
}

// Fit boosts trees on train. With EarlyStoppingRounds set, valid is
// scored after every round and training keeps the trees up to the round
// that scored best; otherwise valid is not used.
func (t Trainer) Fit(ctx context.Context, train, valid *models.Dataset) (models.Model, error) {
	m, err := t.fit(ctx, train, valid)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (t Trainer) fit(ctx context.Context, train, valid *models.Dataset) (*Model, error) {
	if train == nil {
		return nil, errors.New("gbdt: no training data")
	}
	if err := train.Check(); err != nil {
		return nil, fmt.Errorf("gbdt: training data: %w", err)
	}
	names := train.X.Names
	if train.X.Cols == 0 || len(names) != train.X.Cols {
		return nil, fmt.Errorf("gbdt: training data: %d columns with %d names", train.X.Cols, len(names))
	}
	if dup := firstDuplicate(names); dup != "" {
		return nil, fmt.Errorf("gbdt: training data: feature %q twice", dup)
	}
	if train.X.Rows > math.MaxInt32 {
		return nil, fmt.Errorf("gbdt: training data: %d rows; at most %d", train.X.Rows, math.MaxInt32)
	}
	if valid != nil {
		if err := valid.Check(); err != nil {
			return nil, fmt.Errorf("gbdt: validation data: %w", err)
		}
		if !slices.Equal(valid.X.Names, names) {
			return nil, errors.New("gbdt: validation data: features differ from the training data's")
		}
	}
	s, err := t.Config.resolve(names)
	if err != nil {
		return nil, err
	}
	if s.EarlyStoppingRounds > 0 && (valid == nil || !hasWeight(valid)) {
		return nil, errors.New("gbdt: early stopping needs validation data")
	}
	for _, d := range []*models.Dataset{train, valid} {
		if d == nil {
			continue
		}
		for i, w := range d.W {
			if math.IsInf(w, 1) {
				return nil, fmt.Errorf("gbdt: row %d: weight %v", i+1, w)
			}
		}
	}
	var pos, total float64
	for i, y := range train.Y {
		w := weight(train.W, i)
		pos += w * y
		total += w
	}
	if !(total > 0) {
		return nil, errors.New("gbdt: training data: no row has weight")
	}
	if pos == 0 || pos == total {
		return nil, fmt.Errorf("gbdt: training data: every label is %v", train.Y[0])
	}
	base := s.BaseScore
	if base == 0 {
		base = pos / total
	}
	b := newBooster(s, train, valid, models.Logit(base))
	if err := b.run(ctx); err != nil {
		return nil, err
	}
	bag := max(1, s.Bag)
	if bag == 1 {
		return b.model(), nil
	}
	// The mean of Bag ensembles: each one's trees, leaves scaled.
	trees := scaleLeaves(b.trees, 1/float64(bag))
	for k := 1; k < bag; k++ {
		sk := s
		sk.Seed = s.Seed + uint64(k)
		bk := newBooster(sk, train, valid, models.Logit(base))
		if err := bk.run(ctx); err != nil {
			return nil, err
		}
		trees = append(trees, scaleLeaves(bk.trees, 1/float64(bag))...)
	}
	b.trees = trees
	return b.model(), nil
}

// scaleLeaves multiplies every leaf value of trees by f, in place.
func scaleLeaves(trees []*tree, f float64) []*tree {
	for _, t := range trees {
		for i := range t.nodes {
			if t.nodes[i].feature < 0 {
				t.nodes[i].value *= f
			}
		}
		t.prepare()
	}
	return trees
}

func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

func hasWeight(d *models.Dataset) bool {
	for i := range d.Y {
		if weight(d.W, i) > 0 {
			return true
		}
	}
	return false
}

func firstDuplicate(names []string) string {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return n
		}
		seen[n] = true
	}
	return ""
}
