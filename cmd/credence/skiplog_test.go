package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

// TestLogSkips: a server that loaded a book under --tolerant logs each
// reason it skipped rows for, with the count and the first row.
func TestLogSkips(t *testing.T) {
	dir := t.TempDir()
	csv := "customer_id,invoice_id,issue_date,due_date,amount\nA,1,2024-01-01,2024-02-01,5\nA,2,2024-01-01,2024-02-01,0\nB,1,2024-01-01,2024-02-01,-1\n"
	if err := os.WriteFile(filepath.Join(dir, "invoices.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := datasets.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b.Tolerant = true
	if _, err := b.ReadAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	b.Skipped.Log(slog.New(slog.NewTextHandler(&out, nil)), b.Dir)
	for _, want := range []string{"level=WARN", `msg="book rows skipped"`, "rows=2", "invoices.csv: row 2, column amount"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, out.String())
		}
	}
}
