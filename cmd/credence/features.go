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
		RunE: func(cmd *cobra.Command, _ []string) error { return a.writeObservations(cmd, nil) },
	}
	a.observationFlags(cmd)
	cmd.Flags().String("out", "", "matrix file to write (.parquet, .csv or .csv.gz)")
	cmd.Flags().Bool("unlabelled", false, "also write censored and already-defaulted observations, with a null label")
	cmd.Flags().Bool("portfolio", false, "add the features that see the portfolio (as credence train --portfolio)")
	jsonFlag(cmd)
	return cmd
}

func (a *app) sampleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sample --book BOOK --out FILE.parquet --non-default-rate R [--seed N]",
		Short: "Write a weighted training sample of a book too large to train on whole, for credence train --sample",
		Long: "Build the labelled observations as credence features does and keep every default and each\n" +
			"non-default with probability --non-default-rate, weighted 1/rate, so that a model trained on the\n" +
			"sample (credence train --sample FILE) gives the PDs of the whole book. The draw hashes the seed,\n" +
			"customer and as-of date: the same seed keeps the same rows, here or in credence-beam sample.\n" +
			"The Parquet file has a weight column after the label and keeps the feature set, the observation\n" +
			"rules and the counts drawn from in its metadata.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rule := backtest.SampleRule{NonDefaultRate: a.v.GetFloat64("non-default-rate"), Seed: a.v.GetUint64("seed")}
			if err := rule.Validate(); err != nil {
				return usagef("--non-default-rate: %w", err)
			}
			return a.writeObservations(cmd, &rule)
		},
	}
	a.observationFlags(cmd)
	f := cmd.Flags()
	f.String("out", "", "sample file to write (.parquet)")
	f.Float64("non-default-rate", 0, "share of the non-defaults kept, in (0, 1]; each weighs 1/rate (every default is kept)")
	f.Uint64("seed", 1, "seed of the draw: the same seed keeps the same rows")
	f.Bool("portfolio", false, "add the features that see the portfolio (as credence train --portfolio)")
	jsonFlag(cmd)
	return cmd
}

// writeObservations writes the book's observation matrix to --out: every
// observation (features), or the training sample rule draws (sample).
func (a *app) writeObservations(cmd *cobra.Command, rule *backtest.SampleRule) error {
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
		return usagef("%s: --out is required", cmd.Name())
	}
	update, done := a.passes(book.CustomerRows())
	defer done()
	cfg.Progress = update
	t0 := time.Now()
	prep, err := backtest.Prepare(cmd.Context(), book, cfg)
	if err != nil {
		return err
	}
	var w *train.MatrixWriter
	var meta train.SampleMeta
	if rule != nil {
		prep.Draw = rule
		meta = train.NewSampleMeta(book.Dir, prep, cfg, *rule)
		w, err = train.NewSampleWriter(out, meta)
	} else {
		w, err = train.NewMatrixWriter(out, prep.Set.Names())
	}
	if err != nil {
		return err
	}
	var rows int64
	counts, err := backtest.Observe(cmd.Context(), book, prep, a.v.GetInt("workers"), rule == nil && a.v.GetBool("unlabelled"),
		func(obs []backtest.Observation) error {
			rows += int64(len(obs))
			return w.Write(obs)
		})
	done()
	if err != nil {
		w.Abort()
		return err
	}
	if rule != nil {
		err = w.Finish(counts)
		meta = *w.Sample()
		rows = meta.Defaults + meta.NonDefaults
	} else {
		err = w.Close()
	}
	if err != nil {
		return err
	}
	elapsed := time.Since(t0)
	result := map[string]any{"out": out, "seconds": elapsed.Seconds(), "rows": rows, "features": prep.Set.Len(),
		"feature_set": prep.Set.Version, "customers": counts.Customers, "labelled": counts.Labelled, "defaults": counts.Defaults,
		"censored": counts.Censored, "after_default": counts.AlreadyDefaulted, "horizon": prep.Horizon.String(),
		"observed_until": prep.ObservedUntil}
	if rule != nil {
		result["non_default_rate"], result["seed"] = rule.NonDefaultRate, rule.Seed
		result["sampled_defaults"], result["sampled_non_defaults"] = meta.Defaults, meta.NonDefaults
	}
	return a.result(result, func() {
		fmt.Fprintf(a.stdout, "wrote %s in %s: %d rows × %d features (feature set %s)\n", out,
			elapsed.Round(time.Millisecond), rows, prep.Set.Len(), prep.Set.Version)
		if rule != nil {
			fmt.Fprintf(a.stdout, "sample: %s; %d defaults and %d non-defaults drawn\n", rule, meta.Defaults, meta.NonDefaults)
		}
		fmt.Fprintf(a.stdout, "%d customers; %d observations labelled (%d defaults, %.2f%%), %d censored, %d after default; horizon %s, observed until %s\n",
			counts.Customers, counts.Labelled, counts.Defaults, 100*float64(counts.Defaults)/max(1, float64(counts.Labelled)),
			counts.Censored, counts.AlreadyDefaulted, prep.Horizon, prep.ObservedUntil)
	})
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
