package importers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportRefusesForeignTables(t *testing.T) {
	tests := []struct {
		name     string
		existing string // a file or, ending in /, a directory
		refused  bool
	}{
		{"invoices of another book", "invoices.parquet", true},
		{"a CSV of a table it writes", "customers.csv", true},
		{"part files of a table it writes", "defaults/", true},
		{"its own table", "customers.parquet", false},
		{"an unrelated file", "notes.txt", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, "german.data", germanSample)
			out := filepath.Join(dir, "book")
			path := filepath.Join(out, tt.existing)
			var err error
			if strings.HasSuffix(tt.existing, "/") {
				err = os.MkdirAll(path, 0o755)
			} else if err = os.MkdirAll(out, 0o755); err == nil {
				err = os.WriteFile(path, []byte("x"), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = German(context.Background(), in, out)
			if got := err != nil; got != tt.refused {
				t.Fatalf("got error %v; want refused = %v", err, tt.refused)
			}
		})
	}
}

func TestFailedCommitLeavesNoTable(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "german.data", germanSample)
	out := filepath.Join(dir, "book")
	// A directory in the way of book.yaml makes its write, the last step, fail.
	if err := os.MkdirAll(filepath.Join(out, "book.yaml", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := German(context.Background(), in, out); err == nil {
		t.Fatal("got no error; want book.yaml's write to fail")
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "book.yaml" {
			t.Errorf("failed import left %s", e.Name())
		}
	}
}

func TestLookup(t *testing.T) {
	for _, name := range Names() {
		if imp, ok := Lookup(name); !ok || imp == nil {
			t.Errorf("Lookup(%q): got ok = %v; want an importer", name, ok)
		}
	}
	if _, ok := Lookup("no-such-dataset"); ok {
		t.Error(`Lookup("no-such-dataset"): got ok = true; want false`)
	}
}

func ExampleNames() {
	for _, name := range Names() {
		fmt.Println(name)
	}
	// Output:
	// uci-taiwan
	// credit-card-approval
	// ibm-ar
	// german
}
