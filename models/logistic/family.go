package logistic

import "github.com/credence-risk/credence/models"

// Family declares the logistic regression baseline to training and to
// artifact loading; training starts from DefaultConfig.
var Family = models.NewFamily(Name, DefaultConfig, func(c Config, _ uint64) models.Trainer {
	return Trainer{Config: c}
}, Decode)
