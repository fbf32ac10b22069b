package gbdt

import "github.com/credence-risk/credence/models"

// Family declares gradient-boosted trees to training and to artifact
// loading.
var Family = models.NewFamily(Name, TrainingConfig, func(c Config, seed uint64) models.Trainer {
	if c.Seed == 0 {
		c.Seed = seed
	}
	return Trainer{Config: c}
}, Decode)

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
