package logistic

import (
	"encoding/json"
	"math/rand/v2"

	"github.com/credence-risk/credence/models"
)

// Family declares the logistic regression baseline to training and to
// artifact loading; training starts from DefaultConfig.
var Family = withTuning(models.NewFamily(Name, DefaultConfig, func(c Config, _ uint64) models.Trainer {
	return Trainer{Config: c}
}, Decode))

func withTuning(f models.Family) models.Family {
	f.Tuning = &models.Tuning{Space: len(tuneC), Candidates: tuneCandidates, Cost: fitCost}
	f.Complexity = 1
	return f
}

// tuneC is the regularisation tuning searches: C on a log scale, from a
// strong penalty to almost none.
var tuneC = []float64{0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 100}

// tuneCandidates varies the regularisation C; the iteration cap stays as
// configured.
func tuneCandidates(config json.RawMessage, n int, seed uint64) ([]json.RawMessage, error) {
	base, err := models.DecodeConfig(Name, DefaultConfig, config)
	if err != nil {
		return nil, err
	}
	return models.Vary(base, n, seed, func(c *Config, r *rand.Rand) {
		c.C = models.Pick(r, tuneC...)
	})
}

// costValue is the reference machine's seconds per training value of one
// fit (standardising and L-BFGS), fitted to the cross-validation of
// candidates on the uci-taiwan book; a strong penalty converges in a third
// of the time and none in more, so this is their middle.
const costValue = 3e-7

func fitCost(_ json.RawMessage, rows, _, cols int) float64 {
	return costValue * float64(rows) * float64(cols)
}
