package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
)

func (a *app) bookCmd() *cobra.Command {
	book := &cobra.Command{Use: "book", Short: "Check and sort books"}
	check := &cobra.Command{
		Use:   "check BOOK",
		Short: "Validate every row of a book and print a summary",
		Long: "Validate every row of a book and print a summary: customers, rows per table, date range and\n" +
			"default rate. The first problem stops the check and is printed with its file, row and column;\n" +
			"with --tolerant every bad row is skipped, counted by reason and located by its first example.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := datasets.OpenWith(args[0], datasets.Options{Notices: a.stderr})
			if err != nil {
				return err
			}
			b.Tolerant = a.v.GetBool("tolerant")
			s, err := b.Summarize(cmd.Context(), a.deriveDefault(b))
			if err != nil {
				return fmt.Errorf("check %s: %w", args[0], err)
			}
			if a.v.GetBool("json") {
				return writeSummaryJSON(a.stdout, b, s)
			}
			writeSummary(a.stdout, b, s)
			if n := s.Skipped.Skipped(); n > 0 {
				return fmt.Errorf("check %s: %d rows skipped", args[0], n)
			}
			return nil
		},
	}
	check.Flags().Bool("tolerant", false, "skip and count bad rows instead of stopping at the first")
	check.Flags().Bool("json", false, "print the summary as JSON")
	check.Flags().Int("dpd-threshold", features.DefaultDPDThreshold, "days past due that make a default when the book has no defaults table")

	sortCmd := &cobra.Command{
		Use:   "sort BOOK --out DIR",
		Short: "Write a copy of a book with every table sorted by customer_id",
		Long: "Write a copy of a book with every table sorted by customer_id and date, as streaming needs.\n" +
			"Tables larger than --run-rows are sorted in runs spilled to disk and merged, in bounded memory.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := datasets.OpenWith(args[0], datasets.Options{KeepOrder: true})
			if err != nil {
				return err
			}
			out := a.v.GetString("out")
			if out == "" {
				return fmt.Errorf("book sort: --out is required")
			}
			if err := datasets.SortBook(cmd.Context(), b, out, a.v.GetInt("run-rows")); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "sorted book written to %s\n", out)
			return nil
		},
	}
	sortCmd.Flags().String("out", "", "directory of the sorted book")
	sortCmd.Flags().Int("run-rows", datasets.DefaultSortRunRows, "rows sorted in memory at a time")
	book.AddCommand(check, sortCmd)
	return book
}

func writeSummary(w io.Writer, b *datasets.Book, s *datasets.Summary) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "book\t%s\n", b.Dir)
	if b.Meta.Name != "" {
		fmt.Fprintf(tw, "name\t%s\n", b.Meta.Name)
	}
	if b.Meta.Currency != "" {
		fmt.Fprintf(tw, "currency\t%s\n", b.Meta.Currency)
	}
	fmt.Fprintf(tw, "customers\t%d (in any table)\n", s.Customers)
	for _, t := range datasets.AllTables {
		if n, ok := s.Rows[t]; ok {
			files, sorted := b.SourceFiles(t)
			note := ""
			if sorted {
				note = ", read from a sorted copy"
			}
			fmt.Fprintf(tw, "%s\t%d rows in %d file(s)%s\n", t, n, len(files), note)
		}
	}
	fmt.Fprintf(tw, "dates\t%s to %s\n", s.First, s.Last)
	fmt.Fprintf(tw, "observed until\t%s\n", s.ObservedUntil)
	fmt.Fprintf(tw, "defaulted\t%d customers (%.2f%%, %s)\n", s.Defaulted, 100*s.DefaultRate(), s.DefaultSource)
	tw.Flush()
	s.Skipped.WriteText(w)
}

func writeSummaryJSON(w io.Writer, b *datasets.Book, s *datasets.Summary) error {
	rows := map[string]int64{}
	for t, n := range s.Rows {
		rows[string(t)] = n
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"book": b.Dir, "name": b.Meta.Name, "currency": b.Meta.Currency,
		"customers": s.Customers, "rows": rows,
		"first_date": s.First.String(), "last_date": s.Last.String(), "observed_until": s.ObservedUntil.String(),
		"defaulted": s.Defaulted, "default_rate": s.DefaultRate(), "default_source": s.DefaultSource,
		"skipped": s.Skipped,
	})
}
