package gbdt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/credence-risk/credence/models"
)

// Family declares gradient-boosted trees to training and to artifact
// loading.
var Family = withRefit(models.NewFamily(Name, TrainingConfig, func(c Config, seed uint64) models.Trainer {
	if c.Seed == 0 {
		c.Seed = seed
	}
	return Trainer{Config: c}
}, Decode))

func withRefit(f models.Family) models.Family {
	f.Refit = refitConfig
	return f
}

// refitConfig fixes the number of trees at the mean that early stopping
// found in the fitted models, and turns early stopping off.
func refitConfig(config json.RawMessage, fitted []models.Model) (json.RawMessage, error) {
	c := TrainingConfig()
	if len(bytes.TrimSpace(config)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(config))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("%s configuration: %w", Name, err)
		}
	}
	if len(fitted) == 0 {
		return nil, fmt.Errorf("%s refit: no fitted model", Name)
	}
	trees := 0
	for _, m := range fitted {
		g, ok := m.(*Model)
		if !ok {
			return nil, fmt.Errorf("%s refit: a %T is not a %s model", Name, m, Name)
		}
		trees += len(g.trees)
	}
	c.Trees = max(1, int(math.Round(float64(trees)/float64(len(fitted)))))
	c.EarlyStoppingRounds = 0
	return json.Marshal(c)
}

// TrainingConfig is the configuration credence train starts from:
// DefaultConfig, but up to 500 rounds, stopped when 30 rounds have not
// improved the validation log loss. Training always holds out a validation
// part, so the number of trees is found rather than fixed.
func TrainingConfig() Config {
	c := DefaultConfig()
	c.Trees = 500
	c.EarlyStoppingRounds = 30
	return c
}
