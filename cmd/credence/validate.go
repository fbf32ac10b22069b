package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/eval"
	"github.com/credence-risk/credence/models/registry"
)

func (a *app) validateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate --registry DIR [--model VERSION] --book BOOK",
		Short: "Back-test a stored model on a book with newer outcomes, with drift and a traffic light",
		Long: "Score every labelled observation of the book with a stored model (default: the champion) and\n" +
			"compare with its training: AUC and the test for its drop since training, calibration by grade\n" +
			"(Jeffreys, binomial), Hosmer-Lemeshow, PSI of the score and of every feature. The report is\n" +
			"stored beside the model in the registry as validation-<time>.html and .json.\n" +
			"The exit status is 3 when the light is red, so that a scheduler can tell it from a failure (1).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, err := a.openRegistry()
			if err != nil {
				return err
			}
			book, err := a.openBook()
			if err != nil {
				return err
			}
			cfg, err := a.observationConfig()
			if err != nil {
				return err
			}
			update, done := a.passes(book.CustomerRows())
			cfg.Progress = update
			ref := a.v.GetString("model")
			if ref == "" {
				ref = registry.Champion
			}
			art, err := catalog.Load(reg, ref)
			if err != nil {
				done()
				return err
			}
			v, err := backtest.Validate(cmd.Context(), book, art, cfg)
			done()
			if err != nil {
				return fmt.Errorf("validate %s: %w", art.Version, err)
			}
			name, err := v.Store(reg)
			if err != nil {
				return fmt.Errorf("store the validation of %s: %w", art.Version, err)
			}
			m := v.Metrics
			report := reg.Path(v.Version, name+".html")
			var red error
			if v.Light == eval.Red {
				red = redLightError{fmt.Errorf("model %s: the validation light is red", v.Version)}
			}
			if a.v.GetBool("json") {
				err := a.writeJSON(map[string]any{"version": v.Version, "family": art.Family, "book": book.Dir,
					"observations": m.N, "defaults": m.Defaults, "auc": jsonNumber(m.AUC), "auc_low": jsonNumber(m.AUCLow),
					"auc_high": jsonNumber(m.AUCHigh), "auc_at_training": jsonNumber(v.AUCInit), "drop_p": jsonNumber(v.DropP),
					"default_rate": jsonNumber(m.DefaultRate), "mean_pd": jsonNumber(m.MeanPD), "portfolio_light": fmt.Sprint(v.Portfolio.Light),
					"score_psi": jsonNumber(v.ScorePSI), "light": fmt.Sprint(v.Light), "reasons": v.Reasons, "report": report})
				return errors.Join(err, red)
			}
			fmt.Fprintf(a.stdout, "model %s (%s) on %s: %d observations, %d defaults\n", v.Version, art.Family, book.Dir, m.N, m.Defaults)
			fmt.Fprintf(a.stdout, "AUC %.4f (%.4f–%.4f), at training %.4f, drop p = %.4g\n", m.AUC, m.AUCLow, m.AUCHigh, v.AUCInit, v.DropP)
			fmt.Fprintf(a.stdout, "default rate %.3f%%, mean PD %.3f%% (%s); score PSI %.4f\n", 100*m.DefaultRate, 100*m.MeanPD, v.Portfolio.Light, v.ScorePSI)
			fmt.Fprintf(a.stdout, "light: %s\n", v.Light)
			for _, reason := range v.Reasons {
				fmt.Fprintf(a.stdout, "  %s\n", reason)
			}
			fmt.Fprintf(a.stdout, "report: %s\n", report)
			return red
		},
	}
	a.observationFlags(cmd)
	cmd.Flags().String("registry", "", "model registry directory")
	cmd.Flags().String("model", "champion", "model version or label")
	jsonFlag(cmd)
	return cmd
}
