package train

import (
	"encoding/json"

	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/gbdt"
)

// GBDTConfig is the gradient-boosted trees' configuration.
type GBDTConfig = gbdt.Config

// defaultGBDT boosts up to 500 rounds and stops when 30 rounds have not
// improved the validation log loss.
func defaultGBDT() GBDTConfig {
	c := gbdt.DefaultConfig()
	c.Trees = 500
	c.EarlyStoppingRounds = 30
	return c
}

func gbdtTrainer(c GBDTConfig, seed uint64) models.Trainer {
	if c.Seed == 0 {
		c.Seed = seed
	}
	return gbdt.Trainer{Config: c}
}

func defaultFeatures() features.Config { return features.DefaultConfig() }

// Version is the Credence version written into artifacts and reports; the
// binary sets it at start-up.
var Version = "dev"

// marshalHyper returns the champion family's configuration.
func marshalHyper(family string, cfg Config) ([]byte, error) {
	switch family {
	case "scorecard":
		return json.Marshal(cfg.Scorecard)
	case "gbdt":
		return json.Marshal(cfg.GBDT)
	case "logistic":
		return json.Marshal(cfg.Logistic)
	}
	return nil, nil
}
