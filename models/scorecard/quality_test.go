package scorecard

import (
	"testing"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/internal/modeltest"
	"github.com/credence-risk/credence/models/logistic"
)

// TestTaiwanCV is the scorecard's quality on real data: 5-fold
// cross-validated AUC on the 23 raw UCI Taiwan columns, beside the
// logistic baseline on the same folds. WoE scorecards reach 0.76–0.78
// there (the baseline, linear in raw amounts, 0.72); 0.75 fails a
// scorecard that lost its binning or its trends, and the scorecard must
// beat the baseline it is reported against.
func TestTaiwanCV(t *testing.T) {
	d := modeltest.Taiwan(t)
	sc := modeltest.CrossValidate(t, d, 5, func(train *models.Dataset) models.Model { return fit(t, DefaultConfig(), train) })
	lr := modeltest.CrossValidate(t, d, 5, func(train *models.Dataset) models.Model {
		m, err := logistic.Trainer{Config: logistic.DefaultConfig()}.Fit(t.Context(), train, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
	t.Logf("UCI Taiwan raw columns, 5-fold CV AUC: scorecard %.4f, logistic baseline %.4f", sc, lr)
	if sc < 0.75 {
		t.Errorf("scorecard CV AUC = %.4f; want >= 0.75", sc)
	}
	if sc <= lr {
		t.Errorf("scorecard CV AUC %.4f; want above the logistic baseline's %.4f", sc, lr)
	}
}
