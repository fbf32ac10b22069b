package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/importers"
	"github.com/credence-risk/credence/datasets/synth"
)

func (a *app) importCmd() *cobra.Command {
	names := importers.Names()
	cmd := &cobra.Command{
		Use:   "import " + strings.Join(names, "|") + " --in PATH --out BOOK",
		Short: "Import a public dataset as a book",
		Long: "Import a public dataset as a book (docs/book-format.md):\n" +
			"  uci-taiwan            --in uci-taiwan/train.csv\n" +
			"  credit-card-approval  --in credit-card-approval/ (credit_record.csv.gz, application_record.csv.gz)\n" +
			"  ibm-ar                --in ibm-ar/WA_Fn-UseC_-Accounts-Receivable.csv\n" +
			"  german                --in german/german.data",
		Args:      cobra.ExactArgs(1),
		ValidArgs: names,
		RunE: func(cmd *cobra.Command, args []string) error {
			imp, ok := importers.Lookup(args[0])
			if !ok {
				return usagef("import: no importer %q (want one of %s)", args[0], strings.Join(names, ", "))
			}
			in, out := a.v.GetString("in"), a.v.GetString("out")
			if in == "" || out == "" {
				return usagef("import %s: --in and --out are required", args[0])
			}
			start := time.Now()
			st, err := imp(cmd.Context(), in, out)
			if err != nil {
				return fmt.Errorf("import %s: %w", args[0], err)
			}
			if a.v.GetBool("json") {
				return a.writeJSON(map[string]any{"dataset": args[0], "out": out, "seconds": time.Since(start).Seconds(),
					"customers": st.Customers, "invoices": st.Invoices, "statements": st.Statements, "defaults": st.Defaults,
					"observations": st.Observations, "skipped": st.Skipped, "skip_reasons": st.SkipReasons})
			}
			fmt.Fprintf(a.stdout, "imported %s into %s in %s: %d customers, %d invoices, %d statements, %d defaults, %d observations\n",
				args[0], out, time.Since(start).Round(time.Millisecond), st.Customers, st.Invoices, st.Statements, st.Defaults, st.Observations)
			if st.Skipped > 0 {
				reasons := make([]string, 0, len(st.SkipReasons))
				for r, n := range st.SkipReasons {
					reasons = append(reasons, fmt.Sprintf("%d × %s", n, r))
				}
				slices.Sort(reasons)
				fmt.Fprintf(a.stdout, "skipped %d rows: %s\n", st.Skipped, strings.Join(reasons, "; "))
			}
			return nil
		},
	}
	cmd.Flags().String("in", "", "the dataset's file or folder")
	cmd.Flags().String("out", "", "directory of the book to write")
	jsonFlag(cmd)
	return cmd
}

func (a *app) synthCmd() *cobra.Command {
	def := synth.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "synth --customers N --months M --seed S --out BOOK",
		Short: "Write a synthetic B2B receivables book, and each customer's true PD beside it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := synth.DefaultConfig()
			cfg.Customers = a.v.GetInt("customers")
			cfg.Months = a.v.GetInt("months")
			cfg.Seed = a.v.GetInt64("seed")
			cfg.AnnualDefaultRate = a.v.GetFloat64("default-rate")
			cfg.CustomersPerPart = a.v.GetInt("customers-per-part")
			cfg.Format = a.v.GetString("format")
			if w := a.v.GetInt("workers"); w > 0 {
				cfg.Workers = w
			}
			start, err := datasets.ParseDate(a.v.GetString("start"))
			if err != nil {
				return fmt.Errorf("synth: --start: %w", err)
			}
			cfg.Start = start
			out := a.v.GetString("out")
			if out == "" {
				return usagef("synth: --out is required")
			}
			truth := a.v.GetString("truth")
			if truth == "" {
				truth = filepath.Clean(out) + ".truth.parquet"
			}
			bar := a.newProgress("synth", cfg.Customers)
			t0 := time.Now()
			st, err := synth.Generate(cmd.Context(), cfg, out, truth, bar.Update)
			bar.Done()
			if err != nil {
				return err
			}
			elapsed := time.Since(t0)
			return a.result(map[string]any{"out": out, "truth": truth, "seconds": elapsed.Seconds(), "customers": st.Customers,
				"invoices": st.Invoices, "defaults": st.Defaults, "parts": st.Parts, "observed_until": st.ObservedUntil}, func() {
				fmt.Fprintf(a.stdout, "wrote %s in %s: %d customers, %d invoices, %d defaults in %d parts, observed until %s\ntrue PDs in %s\n",
					out, elapsed.Round(time.Millisecond), st.Customers, st.Invoices, st.Defaults, st.Parts, st.ObservedUntil, truth)
			})
		},
	}
	f := cmd.Flags()
	f.Int("customers", 10_000, "number of customers")
	f.Int("months", 24, "months of history")
	f.Int64("seed", 1, "random seed: the same seed writes the same book")
	f.Float64("default-rate", def.AnnualDefaultRate, "target annual default rate of the portfolio")
	f.String("start", def.Start.String(), "first month of the book (YYYY-MM-DD)")
	f.Int("customers-per-part", def.CustomersPerPart, "customers per part file")
	f.String("format", "parquet", "parquet or csv")
	f.Int("workers", 0, "generator goroutines (0: one per core)")
	f.String("out", "", "directory of the book to write")
	f.String("truth", "", "file of true PDs per customer and month end (default: OUT.truth.parquet)")
	jsonFlag(cmd)
	cmd.AddCommand(a.synthDeltaCmd())
	return cmd
}

func (a *app) synthDeltaCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delta --book BOOK --out DELTA [--day DATE] [--late 0.05] [--seed N]",
		Short: "Write one day of ledger changes after a book, for `credence ingest`",
		Long: "Write the next day's rows of a book's ledger, as a daily export would hold them: invoices issued\n" +
			"that day, open invoices paid that day (their rows again, with paid_date), customers who stop\n" +
			"paying (their invoices stay open), invoices crossing 30, 60 and 90 days past due, and a default\n" +
			"recorded for each customer with one crossing 90 days (its customers row with current_limit 0).\n" +
			"The same book, day and seed write the same delta.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			book, out := a.v.GetString("book"), a.v.GetString("out")
			if book == "" || out == "" {
				return usagef("synth delta: --book and --out are required")
			}
			cfg := synth.DeltaConfig{Late: a.v.GetFloat64("late"), Seed: a.v.GetInt64("seed"), Format: a.v.GetString("format")}
			if s := a.v.GetString("day"); s != "" {
				d, err := datasets.ParseDate(s)
				if err != nil {
					return usagef("synth delta: --day: %w", err)
				}
				cfg.Day = d
			}
			st, err := synth.GenerateDelta(cmd.Context(), book, out, cfg)
			if err != nil {
				return err
			}
			return a.result(map[string]any{"out": out, "day": st.Day, "issued": st.Issued, "paid": st.Paid, "stopped": st.Stopped,
				"crossing": st.Crossing, "defaults": st.Defaults}, func() {
				fmt.Fprintf(a.stdout, "wrote %s: %s, %d invoices issued, %d paid, %d customers stopped paying, %d invoices crossing 30/60/90 days past due, %d defaults\n",
					out, st.Day, st.Issued, st.Paid, st.Stopped, st.Crossing, st.Defaults)
			})
		},
	}
	f := cmd.Flags()
	f.String("book", "", "book directory the day follows")
	f.String("out", "", "directory of the delta to write (new or empty)")
	f.String("day", "", "the day, YYYY-MM-DD (default: the day after the book's last day)")
	f.Float64("late", 0.05, "share of customers who stop paying")
	f.Int64("seed", 1, "random seed: the same seed writes the same delta")
	f.String("format", "parquet", "parquet, csv or csv.gz")
	jsonFlag(cmd)
	return cmd
}
