package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/train"
)

func (a *app) featuresCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "features --book BOOK --out FILE",
		Short: "Write the observation × feature matrix with labels (.parquet, .csv or .csv.gz)",
		Long: "Write one row per observation — customer_id, as_of, label, then every feature — for use in\n" +
			"notebooks. Observations come from the book's observations table, else from a monthly plan\n" +
			"(--plan-start/--plan-end/--plan-every, default: from six months after the book's first date to\n" +
			"observed_until minus the horizon). Only labelled observations are written unless --unlabelled.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			book, err := a.openBook()
			if err != nil {
				return err
			}
			cfg, err := a.observationConfig()
			if err != nil {
				return err
			}
			if a.v.GetBool("portfolio") {
				cfg.Features.Portfolio = &features.PortfolioConfig{}
			}
			out := a.v.GetString("out")
			if out == "" {
				return usagef("features: --out is required")
			}
			update, done := a.passes(book.CustomerRows())
			defer done()
			cfg.Progress = update
			t0 := time.Now()
			prep, err := backtest.Prepare(cmd.Context(), book, cfg)
			if err != nil {
				return err
			}
			w, err := train.NewMatrixWriter(out, prep.Set.Names())
			if err != nil {
				return err
			}
			var rows int64
			counts, err := backtest.Observe(cmd.Context(), book, prep, a.v.GetInt("workers"), a.v.GetBool("unlabelled"),
				func(obs []backtest.Observation) error {
					rows += int64(len(obs))
					return w.Write(obs)
				})
			done()
			if err != nil {
				w.Abort()
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
			elapsed := time.Since(t0)
			return a.result(map[string]any{"out": out, "seconds": elapsed.Seconds(), "rows": rows, "features": prep.Set.Len(),
				"feature_set": prep.Set.Version, "customers": counts.Customers, "labelled": counts.Labelled, "defaults": counts.Defaults,
				"censored": counts.Censored, "after_default": counts.AlreadyDefaulted, "horizon": prep.Horizon.String(),
				"observed_until": prep.ObservedUntil}, func() {
				fmt.Fprintf(a.stdout, "wrote %s in %s: %d rows × %d features (feature set %s)\n", out,
					elapsed.Round(time.Millisecond), rows, prep.Set.Len(), prep.Set.Version)
				fmt.Fprintf(a.stdout, "%d customers; %d observations labelled (%d defaults, %.2f%%), %d censored, %d after default; horizon %s, observed until %s\n",
					counts.Customers, counts.Labelled, counts.Defaults, 100*float64(counts.Defaults)/max(1, float64(counts.Labelled)),
					counts.Censored, counts.AlreadyDefaulted, prep.Horizon, prep.ObservedUntil)
			})
		},
	}
	a.observationFlags(cmd)
	cmd.Flags().String("out", "", "matrix file to write (.parquet, .csv or .csv.gz)")
	cmd.Flags().Bool("unlabelled", false, "also write censored and already-defaulted observations, with a null label")
	cmd.Flags().Bool("portfolio", false, "add the features that see the portfolio (as credence train --portfolio)")
	jsonFlag(cmd)
	return cmd
}

// observationFlags are the settings of every command that builds
// observations from a book.
func (a *app) observationFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("book", "", "book directory")
	f.String("horizon", "", "label horizon, e.g. 12mo, 90d, 1y (default: the book's hint, else 12mo)")
	f.Int("dpd-threshold", 0, "days past due that make a default under the default rule (default: the book's hint, else 90)")
	f.Bool("derive-defaults", false, "apply the default rule even when the book has a defaults table")
	f.String("plan-start", "", "first as-of date of the snapshot plan (YYYY-MM-DD)")
	f.String("plan-end", "", "last as-of date of the snapshot plan")
	f.Int("plan-every", 1, "months between as-of dates of the snapshot plan")
	f.Int("workers", 0, "feature-building goroutines (0: one per core)")
	f.Bool("tolerant", false, "skip and count bad rows instead of stopping at the first")
}

func (a *app) openBook() (*datasets.Book, error) {
	dir := a.v.GetString("book")
	if dir == "" {
		return nil, usagef("--book is required")
	}
	b, err := datasets.OpenWith(dir, datasets.Options{Notices: a.stderr})
	if err != nil {
		return nil, err
	}
	b.Tolerant = a.v.GetBool("tolerant")
	noteOpened(a.cmd.Context(), b)
	return b, nil
}

func (a *app) observationConfig() (backtest.ObservationConfig, error) {
	cfg := backtest.ObservationConfig{
		Features:       features.DefaultConfig(),
		DPDThreshold:   a.v.GetInt("dpd-threshold"),
		DeriveDefaults: a.v.GetBool("derive-defaults"),
		Workers:        a.v.GetInt("workers"),
	}
	if s := a.v.GetString("horizon"); s != "" {
		h, err := features.ParseHorizon(s)
		if err != nil {
			return cfg, usagef("--horizon: %w", err)
		}
		cfg.Horizon = h
	}
	start, end := a.v.GetString("plan-start"), a.v.GetString("plan-end")
	if (start == "") != (end == "") {
		return cfg, usagef("--plan-start and --plan-end go together")
	}
	if start != "" {
		var err error
		if cfg.Plan.Start, err = datasets.ParseDate(start); err != nil {
			return cfg, usagef("--plan-start: %w", err)
		}
		if cfg.Plan.End, err = datasets.ParseDate(end); err != nil {
			return cfg, usagef("--plan-end: %w", err)
		}
		cfg.Plan.EveryMonths = a.v.GetInt("plan-every")
	}
	return cfg, nil
}
