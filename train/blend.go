package train

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/blend"
	"github.com/credence-risk/credence/models/eval"
	"github.com/credence-risk/credence/models/gbdt"
	"github.com/credence-risk/credence/models/logistic"
)

// blendFamilies are the families the blend candidate averages, with equal
// weights on their log-odds: the linear model and the trees, whose errors
// differ the most. Equal weights are fitted to nothing, so the blend's
// cross-validated AUC is as honest as its members'.
var blendFamilies = []string{logistic.Name, gbdt.Name}

// blendMembers returns the candidates of blendFamilies, in that order, or
// nil unless every one of them was fitted.
func blendMembers(cands []*CandidateResult) []*CandidateResult {
	var members []*CandidateResult
	for _, fam := range blendFamilies {
		i := slices.IndexFunc(cands, func(c *CandidateResult) bool { return c.Family == fam })
		if i < 0 {
			return nil
		}
		members = append(members, cands[i])
	}
	return members
}

// blendCandidate blends the members' models as fitted on the train part,
// calibrated on the validation part and tested on the test part like any
// candidate.
func blendCandidate(members []*CandidateResult, cfg Config, validS, testS *backtest.Sample) (*CandidateResult, error) {
	ms := make([]models.Model, len(members))
	var seconds float64
	for k, c := range members {
		ms[k], seconds = c.Model, seconds+c.FitSeconds
	}
	m, err := blend.New(ms, nil)
	if err != nil {
		return nil, err
	}
	c, err := judgeCandidate(blend.Name, m, seconds, cfg, validS, testS)
	if err != nil {
		return nil, fmt.Errorf("blend: %w", err)
	}
	return c, nil
}

// crossValidateBlend is the cross-validation of the blend of the
// blendFamilies among sels (blendSelection); nil, without an error, when
// one of them is not there.
func crossValidateBlend(sels []*Selection, y, w []float64) (*Selection, error) {
	var members []*Selection
	for _, fam := range blendFamilies {
		i := slices.IndexFunc(sels, func(s *Selection) bool { return s != nil && s.Family == fam })
		if i < 0 {
			return nil, nil
		}
		members = append(members, sels[i])
	}
	return blendSelection(members, y, w)
}

// blendSelection is the cross-validation of the blend of members, which
// were cross-validated on the same folds: each round's blend is the blend
// of the members' models of that round, so its out-of-fold PDs come from
// theirs without another fit. y and w are the rows' labels and weights.
func blendSelection(members []*Selection, y, w []float64) (*Selection, error) {
	first := members[0]
	for _, m := range members[1:] {
		if m.Folds != first.Folds || !slices.Equal(m.Round, first.Round) || len(m.Fitted) != len(first.Fitted) {
			return nil, fmt.Errorf("blend: %s and %s were not cross-validated on the same folds", first.Family, m.Family)
		}
	}
	sel := &Selection{Family: blend.Name, Folds: first.Folds, OOF: make([]float64, len(y)), Round: slices.Clone(first.Round), Members: members}
	for i := range sel.OOF {
		sel.OOF[i] = math.NaN()
		if sel.Round[i] < 0 {
			continue
		}
		var z float64
		for _, m := range members {
			z += models.Logit(m.OOF[i])
		}
		sel.OOF[i] = models.Sigmoid(z / float64(len(members)))
	}
	for r := range first.Fitted {
		ms := make([]models.Model, len(members))
		for k, m := range members {
			ms[k] = m.Fitted[r]
		}
		b, err := blend.New(ms, nil)
		if err != nil {
			return nil, err
		}
		sel.Fitted = append(sel.Fitted, b)
		var ry, rp, rw []float64
		for i, round := range sel.Round {
			if round == r {
				ry, rp = append(ry, y[i]), append(rp, sel.OOF[i])
				if w != nil {
					rw = append(rw, w[i])
				}
			}
		}
		sel.AUC = append(sel.AUC, eval.AUC(ry, rp, rw))
	}
	var sd float64
	sel.MeanAUC, sd = meanSD(sel.AUC)
	sel.SE = sd / math.Sqrt(float64(len(sel.AUC)))
	return sel, nil
}

// refitBlend refits each member of the blend sel on every row of s, as
// its own cross-validation chose, and blends them.
func refitBlend(ctx context.Context, s *backtest.Sample, sel *Selection, cfg Config) (models.Model, error) {
	ms := make([]models.Model, len(sel.Members))
	for k, m := range sel.Members {
		var err error
		if ms[k], err = refit(ctx, s, m, cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", m.Family, err)
		}
	}
	return blend.New(ms, nil)
}
