package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/credence-risk/credence/serve/store"
)

// openStore opens --store and, when it is empty and --book is given, loads
// the book into it.
func (a *app) openStore(cmd *cobra.Command, log *slog.Logger) (*store.Store, error) {
	dir := a.v.GetString("store")
	if dir == "" {
		return nil, usagef("--store is required")
	}
	st, err := store.Open(dir, store.Options{CacheBytes: a.v.GetInt64("store-cache-mib") << 20})
	if err != nil {
		return nil, err
	}
	if a.v.GetString("book") == "" {
		if st.Empty() {
			st.Close()
			return nil, fmt.Errorf("store %s is empty: give --book to load it", dir)
		}
		return st, nil
	}
	if !st.Empty() {
		log.Warn("the store already holds a book: --book is not read", "store", dir, "customers", st.Meta().Customers)
		return st, nil
	}
	b, err := a.openBook()
	if err != nil {
		st.Close()
		return nil, err
	}
	bar := a.newProgress("loading the store", int(b.CustomerRows()))
	err = st.Load(cmd.Context(), b, func(n int64) { bar.Update(int(n), 0) })
	bar.Done()
	if err != nil {
		st.Close()
		return nil, err
	}
	log.Info("book loaded into the store", "book", b.Dir, "store", dir, "customers", st.Meta().Customers, "data_date", st.DataDate().String())
	b.Skipped.Log(log, b.Dir)
	return st, nil
}

func (a *app) storeCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "store", Short: "Load a book into a live store, or export the live book"}
	load := &cobra.Command{
		Use:   "load --book BOOK --store DIR",
		Short: "Load a book into an empty live store (what `serve --store` serves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.v.GetString("book") == "" {
				return usagef("--book is required")
			}
			log := slog.New(slog.DiscardHandler)
			st, err := a.openStore(cmd, log)
			if err != nil {
				return err
			}
			m := st.Meta()
			err = a.result(map[string]any{"store": a.v.GetString("store"), "customers": m.Customers, "data_date": m.DataDate}, func() {
				fmt.Fprintf(a.stdout, "store %s: %d customers, data date %s\n", a.v.GetString("store"), m.Customers, m.DataDate)
			})
			return errors.Join(err, st.Close())
		},
	}
	lf := load.Flags()
	lf.String("book", "", "book directory")
	lf.String("store", "", "store directory (created when missing; must be empty)")
	lf.Bool("tolerant", false, "skip and count bad rows instead of stopping at the first")
	lf.Int64("store-cache-mib", 128, "block cache in MiB")
	jsonFlag(load)
	export := &cobra.Command{
		Use:   "export --store DIR --out BOOK",
		Short: "Write the live book as a Parquet book (observed_until = the data date), for retraining",
		Long: "Write every customer's history in the live store as a Parquet book with book.yaml, observed_until set\n" +
			"to the store's data date: `book check` reads it, and training on it learns from exactly what was\n" +
			"scored. The server must be stopped (the store has one writer); serve a copy to export while live.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := a.v.GetString("out")
			if out == "" {
				return usagef("--out is required")
			}
			dir := a.v.GetString("store")
			if dir == "" {
				return usagef("--store is required")
			}
			if _, err := os.Stat(dir); err != nil {
				return fmt.Errorf("--store %s: %w", dir, err) // export reads a store, never makes one
			}
			st, err := store.Open(dir, store.Options{CacheBytes: a.v.GetInt64("store-cache-mib") << 20})
			if err != nil {
				return err
			}
			defer st.Close()
			if st.Empty() {
				return fmt.Errorf("store %s is empty", a.v.GetString("store"))
			}
			if err := st.Export(cmd.Context(), out); err != nil {
				return err
			}
			m := st.Meta()
			return a.result(map[string]any{"out": out, "customers": m.Customers, "observed_until": m.DataDate}, func() {
				fmt.Fprintf(a.stdout, "exported %d customers to %s (observed until %s)\n", m.Customers, out, m.DataDate)
			})
		},
	}
	ef := export.Flags()
	ef.String("store", "", "store directory")
	ef.String("out", "", "directory of the book written")
	ef.Int64("store-cache-mib", 128, "block cache in MiB")
	jsonFlag(export)
	cmd.AddCommand(load, export)
	return cmd
}
