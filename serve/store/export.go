package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/credence-risk/credence/datasets"
)

// Export writes the live book to dir as a Parquet book (one part file per
// table, book.yaml with observed_until = the data date), in customer_id
// order: loading a book and exporting it gives the same histories, and a
// model retrained on the export learns from exactly what was scored.
func (s *Store) Export(ctx context.Context, dir string) (err error) {
	m := s.Meta()
	part := func(t datasets.Table) (string, error) {
		d := filepath.Join(dir, string(t))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
		return filepath.Join(d, "part-00000.parquet"), nil
	}
	paths := map[datasets.Table]string{}
	for _, t := range []datasets.Table{datasets.Invoices, datasets.Statements, datasets.Customers, datasets.Defaults} {
		if paths[t], err = part(t); err != nil {
			return fmt.Errorf("export %s: %w", dir, err)
		}
	}
	iw, err := datasets.NewInvoiceWriter(paths[datasets.Invoices])
	if err != nil {
		return err
	}
	defer iw.Abort()
	sw, err := datasets.NewStatementWriter(paths[datasets.Statements])
	if err != nil {
		return err
	}
	defer sw.Abort()
	cw, err := datasets.NewCustomerWriter(paths[datasets.Customers], m.Schema)
	if err != nil {
		return err
	}
	defer cw.Abort()
	dw, err := datasets.NewDefaultWriter(paths[datasets.Defaults])
	if err != nil {
		return err
	}
	defer dw.Abort()
	var counts [4]int64
	err = s.Customers(ctx, func(h *datasets.History) error {
		counts[0] += int64(len(h.Invoices))
		counts[1] += int64(len(h.Statements))
		counts[3] += int64(len(h.Defaults))
		if h.Customer != nil {
			counts[2]++
			if err := cw.Write([]datasets.Customer{*h.Customer}); err != nil {
				return err
			}
		}
		return errors.Join(iw.Write(h.Invoices), sw.Write(h.Statements), dw.Write(h.Defaults))
	})
	if err != nil {
		return fmt.Errorf("export %s: %w", dir, err)
	}
	// A table without rows is left out, as the loaded book had it, except
	// defaults once the book has them.
	writers := []interface {
		Close() error
		Abort()
	}{iw, sw, cw, dw}
	for k, t := range []datasets.Table{datasets.Invoices, datasets.Statements, datasets.Customers, datasets.Defaults} {
		keep := counts[k] > 0 || (t == datasets.Defaults && m.Defaults)
		if !keep {
			writers[k].Abort()
			os.Remove(filepath.Dir(paths[t]))
			continue
		}
		if err := writers[k].Close(); err != nil {
			return fmt.Errorf("export %s: %w", dir, err)
		}
	}
	meta := m.Book
	meta.ObservedUntil = m.DataDate
	return datasets.WriteMeta(dir, meta)
}
