package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/serve/limit"
	"github.com/credence-risk/credence/serve/rescore"
)

func (a *app) rescoreCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rescore --registry DIR [--model VERSION] --book BOOK [--as-of DATE] --out FILE",
		Short: "Score every customer of a book with a stored model: PD, grade, score, limit and reasons",
		Long: "Score every customer of the book as of one date, or every row of the book's observations table,\n" +
			"with a stored model (default: the champion), the same features as training and serving, and\n" +
			"the limit policy (--limit-policy YAML, default the built-in policy). One row per (customer, as_of):\n" +
			"customer_id, as_of, pd, grade, score, recommended_limit, reason_1..3, model_version, to --out\n" +
			"(.parquet, .csv or .csv.gz), written under a temporary name and renamed when complete.\n\n" +
			"--as-of defaults to the day after the book's observed_until (features use facts dated before\n" +
			"as_of, so the whole book is seen); without observed_until in book.yaml the book is read once\n" +
			"more to find its latest date. A book with an observations table is scored at its rows unless\n" +
			"--as-of is given.\n\n" +
			"A report (grade distribution, limit and expected-loss totals, PSI of the PD against training\n" +
			"and, with --previous, the grade migration and the largest PD rises) is written to OUT.report.html\n" +
			"and OUT.report.json (or --report PATH: PATH.html and PATH.json).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := a.v.GetString("out")
			if out == "" {
				return usagef("rescore: --out is required")
			}
			if _, err := datasets.FormatOf(out); err != nil {
				return usagef("rescore: --out: %w", err)
			}
			reg, err := a.openRegistry()
			if err != nil {
				return err
			}
			book, err := a.openBook()
			if err != nil {
				return err
			}
			art, err := catalog.Load(reg, a.v.GetString("model"))
			if err != nil {
				return err
			}
			scorer, err := scoring.New(art, book.Schema)
			if err != nil {
				return err
			}
			cfg := rescore.DefaultConfig(datasets.NoDate)
			cfg.Workers = a.v.GetInt("workers")
			if cfg.Policy, err = loadPolicy(a.v.GetString("limit-policy")); err != nil {
				return err
			}
			if cfg.AsOf, err = a.rescoreAsOf(cmd, book, cfg.Workers); err != nil {
				return err
			}
			if prev := a.v.GetString("previous"); prev != "" {
				if cfg.Previous, err = rescore.ReadPrevious(prev); err != nil {
					return fmt.Errorf("rescore: --previous: %w", err)
				}
			}
			bar := a.newProgress("rescore", int(book.CustomerRows()))
			cfg.Progress = func(n int64) { bar.Update(int(n), 0) }
			base := a.v.GetString("report")
			if base == "" {
				base = out + ".report"
			}
			t0 := time.Now()
			var elapsed time.Duration
			// The scores and the report are published together, once both
			// are written: a failed report publishes neither.
			sum, err := rescore.Publish(cmd.Context(), book, scorer, cfg, out, func(sum *rescore.Summary) ([]rescore.Attachment, error) {
				bar.Done()
				elapsed = time.Since(t0)
				return renderReport(base, rescore.NewReport(sum, book, out, version, elapsed))
			})
			bar.Done()
			if err != nil {
				return fmt.Errorf("rescore %s: %w", book.Dir, err)
			}
			return a.result(rescoreResult(sum, out, base, elapsed), func() {
				printRescore(a.stdout, sum, out, elapsed)
				fmt.Fprintf(a.stdout, "report: %s.html\n", base)
			})
		},
	}
	f := cmd.Flags()
	f.String("registry", "", "model registry directory")
	f.String("model", "champion", "model version or label")
	f.String("book", "", "book directory")
	f.String("as-of", "", "score every customer as of this date (YYYY-MM-DD; default: the day after the book's observed_until)")
	f.String("out", "", "scores file to write (.parquet, .csv or .csv.gz)")
	f.String("previous", "", "an earlier rescore output (.parquet or .csv) to compare with: grade migration and largest PD rises")
	f.String("report", "", "report path without extension: PATH.html and PATH.json (default: OUT.report)")
	f.String("limit-policy", "", "YAML file of the limit policy (keys as in limit.Policy; unset keys keep the defaults)")
	f.Int("workers", 0, "scoring goroutines (0: one per core)")
	jsonFlag(cmd)
	return cmd
}

// rescoreAsOf resolves the scoring date: --as-of, else the observations
// table (NoDate), else the day after observed_until or the latest date.
func (a *app) rescoreAsOf(cmd *cobra.Command, book *datasets.Book, workers int) (datasets.Date, error) {
	if s := a.v.GetString("as-of"); s != "" {
		d, err := datasets.ParseDate(s)
		if err != nil {
			return datasets.NoDate, usagef("--as-of: %w", err)
		}
		return d, nil
	}
	if book.Has(datasets.Observations) {
		return datasets.NoDate, nil
	}
	if book.Meta.ObservedUntil == datasets.NoDate {
		fmt.Fprintln(a.stderr, "book.yaml gives no observed_until: reading the book for its latest date (give --as-of to skip this)")
	}
	d, _, err := rescore.DefaultAsOf(cmd.Context(), book, workers)
	return d, err
}

// loadPolicy reads a limit policy: the defaults, overridden by the keys of
// the YAML file when one is given.
func loadPolicy(path string) (limit.Policy, error) {
	p := limit.DefaultPolicy()
	if path == "" {
		return p, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("--limit-policy: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && err != io.EOF {
		return p, fmt.Errorf("--limit-policy %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("--limit-policy %s: %w", path, err)
	}
	return p, nil
}

// renderReport renders the report as base.html and base.json.
func renderReport(base string, r *rescore.Report) ([]rescore.Attachment, error) {
	var html, js bytes.Buffer
	if err := r.WriteHTML(&html); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if err := r.WriteJSON(&js); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return []rescore.Attachment{{Path: base + ".html", Data: html.Bytes()}, {Path: base + ".json", Data: js.Bytes()}}, nil
}

// rescoreResult is what rescore --json prints: the files written and the
// run's summary (the report's JSON holds the rest).
func rescoreResult(s *rescore.Summary, out, base string, elapsed time.Duration) map[string]any {
	asOf := ""
	if s.AsOf.Valid() {
		asOf = s.AsOf.String()
	}
	grades := make([]int64, len(s.Grades))
	for g, t := range s.Grades {
		grades[g] = t.Rows
	}
	r := map[string]any{"out": out, "report": base + ".html", "report_json": base + ".json", "seconds": elapsed.Seconds(),
		"model_version": s.ModelVersion, "family": s.Family, "as_of": asOf, "customers": s.Customers,
		"observations": s.Observations, "rows": s.Rows, "skipped": s.Skipped, "in_default": s.InDefault,
		"rows_by_grade": grades, "mean_pd": jsonNumber(s.MeanPD()), "recommended_limits": jsonNumber(s.Limits),
		"expected_loss": jsonNumber(s.ExpectedLoss), "psi": jsonNumber(s.PSI), "stability": s.Stability(), "limit_errors": s.LimitErrors}
	if s.Migration != nil {
		r["migration"] = s.Migration
	}
	return r
}

// printRescore prints the run's summary: counts, grades, totals, drift
// and migration.
func printRescore(w io.Writer, s *rescore.Summary, out string, elapsed time.Duration) {
	asOf := "at the observations table's dates"
	if s.AsOf.Valid() {
		asOf = "as of " + s.AsOf.String()
	}
	fmt.Fprintf(w, "rescored %s %s with model %s (%s) in %s: %d rows to %s\n",
		plural(s.Customers, "customer"), asOf, s.ModelVersion, s.Family, elapsed.Round(time.Millisecond), s.Rows, out)
	if s.PortfolioPass > 0 {
		fmt.Fprintf(w, "the portfolio context's first pass over the book took %s\n", s.PortfolioPass.Round(time.Millisecond))
	}
	read := fmt.Sprintf("read %d customers", s.Customers)
	if s.Observations > 0 {
		read += fmt.Sprintf(" (%d observations)", s.Observations)
	}
	fmt.Fprintf(w, "%s, scored %d, skipped %d", read, s.Rows, s.SkippedTotal())
	reasons := make([]string, 0, len(s.Skipped))
	for r := range s.Skipped {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for i, r := range reasons {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(w, "%s%d %s", sep, s.Skipped[r], r)
	}
	fmt.Fprintf(w, "; %d in default (grade 10)\n", s.InDefault)
	var grades []string
	for g, t := range s.Grades {
		if s.Rows > 0 {
			grades = append(grades, fmt.Sprintf("%d: %.1f%%", g+1, 100*float64(t.Rows)/float64(s.Rows)))
		}
	}
	fmt.Fprintf(w, "grades  %s\n", strings.Join(grades, "  "))
	fmt.Fprintf(w, "mean PD %.3f%%; recommended limits %.0f; expected loss %.0f; PD PSI against training %.4f (%s)\n",
		100*s.MeanPD(), s.Limits, s.ExpectedLoss, s.PSI, s.Stability())
	if s.LimitErrors > 0 {
		fmt.Fprintf(w, "no limit for %d rows: %v\n", s.LimitErrors, s.FirstLimitError)
	}
	if m := s.Migration; m != nil {
		fmt.Fprintf(w, "against %s: %d customers in both (%d new, %d gone): %d upgrades, %d downgrades, %d unchanged\n",
			m.Previous, m.Matched, m.New, m.Gone, m.Upgrades, m.Downgrades, m.Unchanged)
		if len(m.Rises) > 0 {
			c := m.Rises[0]
			fmt.Fprintf(w, "largest PD rise: %s %.2f%% → %.2f%% (grade %d → %d); %d in the early-warning list\n",
				c.CustomerID, 100*c.PreviousPD, 100*c.PD, c.PreviousGrade, c.Grade, len(m.Rises))
		}
	}
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
