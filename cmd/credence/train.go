package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/calibrate"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/train"
)

func (a *app) trainCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train (--book BOOK | --sample FILE) --registry DIR [--config FILE] [--horizon 12mo] [--seed N]",
		Short: "Fit, calibrate and validate PD models and register the champion with its report",
		Long: fmt.Sprintf("Build point-in-time observations and features from the book and fit every family (%s)\n"+
			"and, with logistic and gbdt, their blend. Each candidate is judged twice: by cross-validation on\n"+
			"every observation (--selection-folds rounds, grouped by customer, rolling over time where the book\n"+
			"spans several as-of dates), which chooses the champion under --champion-rule among those whose\n"+
			"calibration passes; and on a test part held out (out of time when the book spans several as-of\n"+
			"dates, stratified otherwise), fitted on the train part and calibrated on the validation part. The\n"+
			"champion is then refit on every observation, calibrated on its out-of-fold PDs, and registered as\n"+
			"a new version with its report (report.html, report.json), labelled champion when it passes.\n\n"+
			"Before that, --tune-budget tunes each family's hyperparameters by successive halving on the\n"+
			"selection folds; the budget is turned into candidates and rows by a cost model, so the same seed,\n"+
			"data and budget give the same configuration, stored in the model's training configuration.\n\n"+
			"A --config file may hold a `train:` section with the full training configuration (families,\n"+
			"%s, calibration, scale, valid_share, test_share, observations.features).\n\n"+
			"For a book too large to train on whole, --sample trains on a sample drawn by credence sample (or\n"+
			"credence-beam sample on a cluster): every default and a share of the non-defaults, weighted so\n"+
			"that PDs, calibration and the report stand for the whole book.",
			strings.Join(catalog.Names(), ", "), strings.Join(catalog.Names(), ", ")),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.trainConfig()
			if err != nil {
				return err
			}
			samplePath := a.v.GetString("sample")
			if samplePath != "" {
				if a.v.GetString("book") != "" {
					return usagef("--sample and --book exclude each other: the sample was drawn from its book")
				}
				for _, name := range []string{"horizon", "dpd-threshold", "derive-defaults", "plan-start", "plan-end", "plan-every", "portfolio", "cv", "tolerant"} {
					if cmd.Flags().Changed(name) {
						return usagef("--%s does not go with --sample: the sample fixes its observations and features (set them on credence sample)", name)
					}
				}
			}
			var book *datasets.Book
			if samplePath == "" {
				if book, err = a.openBook(); err != nil {
					return err
				}
			}
			reg, err := a.createRegistry()
			if err != nil {
				return err
			}
			t0 := time.Now()
			done := func() {}
			stage := func(stage string) {
				done()
				fmt.Fprintf(a.stderr, "%s… (%s)\n", stage, time.Since(t0).Round(time.Second))
			}
			var res *train.Result
			if samplePath != "" {
				res, err = train.RunSample(cmd.Context(), samplePath, cfg, stage)
				if err != nil {
					return fmt.Errorf("train: %w", err)
				}
			}
			var update func(string, int64)
			if book != nil {
				update, done = a.passes(book.CustomerRows())
				defer done()
				cfg.Observations.Progress = update
			}
			if k := a.v.GetInt("cv"); k > 0 {
				folds, counts, err := train.CrossValidate(cmd.Context(), book, cfg, k)
				if err != nil {
					return fmt.Errorf("cross-validate: %w", err)
				}
				method := ""
				if len(folds) > 0 {
					method = folds[0].Folds
				}
				elapsed := time.Since(t0)
				if a.v.GetBool("json") {
					fams := make([]map[string]any, len(folds))
					for i, f := range folds {
						aucs := make([]any, len(f.AUC))
						for j, x := range f.AUC {
							aucs[j] = jsonNumber(x)
						}
						fams[i] = map[string]any{"family": f.Family, "mean_auc": jsonNumber(f.MeanAUC), "se": jsonNumber(f.SE), "rounds": aucs}
					}
					return a.writeJSON(map[string]any{"rounds": k, "method": method, "observations": counts.Labelled,
						"defaults": counts.Defaults, "seconds": elapsed.Seconds(), "families": fams})
				}
				fmt.Fprintf(a.stdout, "%d-round cross-validation (%s) on %d observations (%d defaults) in %s; uncalibrated held-out AUC, mean ± standard error:\n",
					k, method, counts.Labelled, counts.Defaults, elapsed.Round(time.Millisecond))
				for _, f := range folds {
					fmt.Fprintf(a.stdout, "  %-9s AUC %.4f ± %.4f  rounds %s\n", f.Family, f.MeanAUC, f.SE, fmtFolds(f.AUC))
				}
				return nil
			}
			if book != nil {
				res, err = train.Run(cmd.Context(), book, cfg, stage)
				done()
				if err != nil {
					return fmt.Errorf("train: %w", err)
				}
			}
			res.Artifact.Credence = version
			// The report's model card names the version the registry assigns.
			render := func(write func(io.Writer) error) func(string) ([]byte, error) {
				return func(v string) ([]byte, error) {
					res.Report.Model.Version = v
					var b bytes.Buffer
					err := write(&b)
					return b.Bytes(), err
				}
			}
			v, err := reg.Add(res.Artifact, registry.File{Name: "report.html", Render: render(res.Report.WriteHTML)},
				registry.File{Name: "report.json", Render: render(res.Report.WriteJSON)})
			if err != nil {
				return err
			}
			labelled := "not labelled champion: calibration fails (see the report)"
			if res.Passed {
				if err := reg.Promote(v); err != nil {
					return err
				}
				labelled = "labelled champion"
			}
			if a.v.GetBool("json") {
				return a.writeJSON(trainResult(res, v, reg.Path(v, "report.html"), time.Since(t0)))
			}
			if samplePath != "" {
				fmt.Fprintf(a.stdout, "trained in %s on a sample of %d rows standing for %d observations (%d defaults), %s split\n",
					time.Since(t0).Round(time.Millisecond), res.Rows, res.Counts.Labelled, res.Counts.Defaults, res.Split.Method)
			} else {
				fmt.Fprintf(a.stdout, "trained in %s on %d observations (%d defaults), %s split\n",
					time.Since(t0).Round(time.Millisecond), res.Counts.Labelled, res.Counts.Defaults, res.Split.Method)
			}
			for _, c := range res.Candidates {
				mark := " "
				if c == res.Champion {
					mark = "*"
				}
				cv := ""
				if c.CV != nil {
					cv = fmt.Sprintf("CV AUC %.4f ± %.4f  ", c.CV.MeanAUC, c.CV.SE)
				}
				oof := ""
				if c.CVCalibration != nil {
					oof = "; out-of-fold calibration passes"
					if !c.CVCalibration.Passes {
						oof = "; out-of-fold calibration fails"
					}
				}
				fmt.Fprintf(a.stdout, "%s %-9s %stest AUC %.4f (%.4f–%.4f)  Gini %.4f  KS %.4f  Brier %.4f  calibration %s%s\n",
					mark, c.Family, cv, c.Test.AUC, c.Test.AUCLow, c.Test.AUCHigh, c.Test.Gini, c.Test.KS, c.Test.Brier, c.Light, oof)
			}
			printTuning(a.stdout, res)
			if res.Refit {
				fmt.Fprintf(a.stdout, "the %s champion is refit on all %d observations and calibrated on its out-of-fold PDs\n", res.Champion.Family, res.Rows)
			} else if res.SelectionNote != "" {
				fmt.Fprintln(a.stdout, res.SelectionNote)
			}
			fmt.Fprintf(a.stdout, "registered %s (%s), %s\nreport: %s\n", v, res.Champion.Family, labelled,
				reg.Path(v, "report.html"))
			return nil
		},
	}
	a.observationFlags(cmd)
	f := cmd.Flags()
	f.String("registry", "", "model registry directory")
	f.String("sample", "", "train on a training sample (credence sample, or its shard set from credence-beam sample) instead of a book: every default and a weighted share of the non-defaults, fitted and calibrated with their weights")
	f.Uint64("seed", 1, "seed of the split and of subsampling: the same seed and data give the same model")
	f.String("families", strings.Join(catalog.Names(), ","), "model families to fit, comma-separated: "+strings.Join(catalog.Names(), ", ")+"; with logistic and gbdt, their blend (the mean of their log-odds) is a candidate too")
	f.Int("cv", 0, "instead of training, report k-round cross-validated AUC per family (by customer, rolling over time); nothing is registered")
	f.Int("selection-folds", train.DefaultConfig().SelectionFolds, "cross-validation rounds that choose the champion, refit on all observations (below 2: choose on the test part, no refit)")
	f.String("champion-rule", train.RuleBest, "how cross-validation chooses the champion: best (highest mean AUC; on rolling-origin rounds the blend must lead both its members by more than the paired standard error) or one-se (the least complex family within one standard error of the best)")
	f.String("tune-budget", train.TuneAuto, "hyperparameter tuning before selection, by successive halving on the selection folds: auto (scaled to the book: every candidate where that costs at most a minute, a few seconds on 5,000 customers, about two minutes on a million observations), 0 (off) or a duration such as 90s; the same seed, data and budget give the same configuration")
	f.Bool("portfolio", train.DefaultConfig().Observations.Features.Portfolio != nil, "features that see the portfolio: the 12-month default rate and median days beyond terms of the book and of the customer's industry, country and segment at each as-of date, and the trends of overdue balance and limit use")
	jsonFlag(cmd)
	f.String("calibration", calibrate.MethodInterpolated, "calibration fitted on the validation part: isotonic-interpolated (isotonic, keeping the model's ranking), isotonic (steps), platt or none")
	return cmd
}

// openRegistry opens the existing registry --registry names: a command
// that only reads or relabels models never creates one, so a mistyped
// path is an error rather than an empty registry.
func (a *app) openRegistry() (*registry.Registry, error) {
	dir := a.v.GetString("registry")
	if dir == "" {
		return nil, usagef("--registry is required")
	}
	if st, err := os.Stat(filepath.Join(dir, "versions")); err != nil || !st.IsDir() {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("--registry %s: no such directory (train creates a registry)", dir)
		}
		return nil, fmt.Errorf("--registry %s: not a model registry (it has no versions directory)", dir)
	}
	return registry.Open(dir)
}

// createRegistry opens the registry --registry names, creating it when
// missing: training is what starts one.
func (a *app) createRegistry() (*registry.Registry, error) {
	dir := a.v.GetString("registry")
	if dir == "" {
		return nil, usagef("--registry is required")
	}
	return registry.Open(dir)
}

// trainConfig starts from the defaults, applies the config file's train
// section, then the flags.
func (a *app) trainConfig() (train.Config, error) {
	cfg := train.DefaultConfig()
	section, err := a.settings.trainSection(a.cmd)
	if err != nil {
		return cfg, usageError{err}
	}
	if section != nil {
		if err := train.DecodeConfig(section, &cfg); err != nil {
			return cfg, usagef("config %s: train section: %w", a.settings.path, err)
		}
	}
	obs, err := a.observationConfig()
	if err != nil {
		return cfg, err
	}
	obs.Features = cfg.Observations.Features
	cfg.Observations = obs
	cfg.Seed = a.v.GetUint64("seed")
	if fams := a.v.GetString("families"); fams != "" && (a.explicit("families") || section == nil) {
		cfg.Families = nil
		for _, f := range strings.Split(fams, ",") {
			if f = strings.TrimSpace(f); f != "" {
				cfg.Families = append(cfg.Families, f)
			}
		}
	}
	if a.explicit("selection-folds") || section == nil {
		cfg.SelectionFolds = a.v.GetInt("selection-folds")
	}
	if a.explicit("calibration") || section == nil {
		cfg.Calibration = a.v.GetString("calibration")
	}
	if a.explicit("champion-rule") || section == nil {
		cfg.ChampionRule = a.v.GetString("champion-rule")
	}
	if a.explicit("tune-budget") || section == nil {
		cfg.TuneBudget = a.v.GetString("tune-budget")
	}
	if a.explicit("portfolio") || section == nil {
		switch on := a.v.GetBool("portfolio"); {
		case on && cfg.Observations.Features.Portfolio == nil:
			cfg.Observations.Features.Portfolio = &features.PortfolioConfig{}
		case !on:
			cfg.Observations.Features.Portfolio = nil
		}
	}
	if _, err := train.ParseTuneBudget(cfg.TuneBudget, 0); err != nil {
		return cfg, usagef("--tune-budget: %w", err)
	}
	return cfg, nil
}

// trainResult is what train --json prints: the version registered, whether
// it became champion, and each family's held-out figures.
func trainResult(res *train.Result, v, report string, elapsed time.Duration) map[string]any {
	cands := make([]map[string]any, len(res.Candidates))
	for i, c := range res.Candidates {
		m := map[string]any{"family": c.Family, "champion": c == res.Champion, "test_auc": jsonNumber(c.Test.AUC),
			"test_auc_low": jsonNumber(c.Test.AUCLow), "test_auc_high": jsonNumber(c.Test.AUCHigh), "gini": jsonNumber(c.Test.Gini),
			"ks": jsonNumber(c.Test.KS), "brier": jsonNumber(c.Test.Brier), "calibration": fmt.Sprint(c.Light)}
		if c.CV != nil {
			m["cv_auc"], m["cv_se"] = jsonNumber(c.CV.MeanAUC), jsonNumber(c.CV.SE)
		}
		cands[i] = m
	}
	return map[string]any{"version": v, "family": res.Champion.Family, "champion": res.Passed, "report": report,
		"observations": res.Counts.Labelled, "defaults": res.Counts.Defaults, "split": res.Split.Method, "refit": res.Refit,
		"seconds": elapsed.Seconds(), "candidates": cands}
}

// printTuning writes a line per family that tuning searched: candidates,
// the CV AUC of the configured and the chosen configuration, the work
// planned within its share of the budget and the time it took.
func printTuning(w io.Writer, res *train.Result) {
	if len(res.Tuning) == 0 {
		return
	}
	whole := ""
	if res.TuneWhole {
		whole = "; every candidate, which the automatic budget pays for on a book this small"
	}
	fmt.Fprintf(w, "tuning within %s (seconds of the reference machine's cost model%s):\n", res.TuneBudget.Round(100*time.Millisecond), whole)
	for _, t := range res.Tuning {
		if len(t.Rungs) == 0 {
			fmt.Fprintf(w, "  %-9s %s\n", t.Family, t.Note)
			continue
		}
		chosen := "kept as configured"
		if t.Changed {
			chosen = "tuned"
		}
		fmt.Fprintf(w, "  %-9s %d candidates (%s of the rows), CV AUC %.4f configured, %.4f chosen: %s; planned %.1f s of %.1f s, took %.1f s\n",
			t.Family, t.Candidates, t.RungText(), t.DefaultAUC, t.BestAUC, chosen, t.PlannedSeconds, t.BudgetSeconds, t.Seconds)
		if t.Note != "" {
			fmt.Fprintf(w, "            %s\n", t.Note)
		}
	}
}

func fmtFolds(aucs []float64) string {
	parts := make([]string, len(aucs))
	for i, a := range aucs {
		parts[i] = fmt.Sprintf("%.4f", a)
	}
	return strings.Join(parts, " ")
}
