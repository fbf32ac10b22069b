package main

import (
	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
)

// defaultRule is the book's default rule as training would resolve it, with
// --dpd-threshold when set (flag, environment or file).
func (a *app) defaultRule(b *datasets.Book) features.DefaultRule {
	threshold := 0
	if a.explicit("dpd-threshold") {
		threshold = a.v.GetInt("dpd-threshold")
	}
	return features.RuleForBook(b, threshold, false)
}

// deriveDefault returns the book's default rule, for books without a
// defaults table; a default the rule places after observed_until is not
// yet known and does not count.
func (a *app) deriveDefault(b *datasets.Book) func(*datasets.History) datasets.Date {
	rule := a.defaultRule(b)
	until := b.Meta.ObservedUntil
	return func(h *datasets.History) datasets.Date {
		d := rule.Date(h)
		if until != datasets.NoDate && d > until {
			return datasets.NoDate
		}
		return d
	}
}
