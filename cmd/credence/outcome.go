package main

import (
	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
)

// dpdThreshold is --dpd-threshold when set (flag, environment or file),
// else the book's hint, else the flag's default.
func (a *app) dpdThreshold(b *datasets.Book) int {
	if a.explicit("dpd-threshold") || b.Meta.DPDThreshold <= 0 {
		return a.v.GetInt("dpd-threshold")
	}
	return b.Meta.DPDThreshold
}

// deriveDefault returns the book's default rule, for books without a
// defaults table; a default the rule places after observed_until is not
// yet known and does not count.
func (a *app) deriveDefault(b *datasets.Book) func(*datasets.History) datasets.Date {
	threshold := a.dpdThreshold(b)
	until := b.Meta.ObservedUntil
	return func(h *datasets.History) datasets.Date {
		d := features.DerivedDefaultDate(h, threshold)
		if until != datasets.NoDate && d > until {
			return datasets.NoDate
		}
		return d
	}
}
