package datasets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestEightMegabyteValue: a valid Parquet file with an 8 MB string value
// reads when Credence wrote it, and a file whose page headers carry such
// a value (page statistics, as parquet-go writes by default) is refused
// with its file and column named.
func TestEightMegabyteValue(t *testing.T) {
	big := strings.Repeat("x", 8<<20)
	t.Run("written by Credence", func(t *testing.T) {
		dir := t.TempDir()
		w, err := NewCustomerWriter(filepath.Join(dir, "customers.parquet"), CustomerSchema{Categorical: []string{"note"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write([]Customer{{CustomerID: "A", Categorical: []string{big}}, {CustomerID: "B", Categorical: []string{"y"}}}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		hs, err := b.ReadAll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != 2 || len(hs[0].Customer.Categorical[0]) != len(big) {
			t.Errorf("read %d customers; want 2, the first with its 8 MB note", len(hs))
		}
	})
	t.Run("page statistics", func(t *testing.T) {
		dir := t.TempDir()
		type row struct {
			CustomerID string `parquet:"customer_id"`
			Note       string `parquet:"note"`
		}
		f, err := os.Create(filepath.Join(dir, "customers.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		w := parquet.NewGenericWriter[row](f, parquet.DataPageStatistics(true))
		if _, err := w.Write([]row{{"A", big}, {"B", "y"}}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		_, err = readBook(dir, false)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Column != "note" || !strings.Contains(err.Error(), "page header") {
			t.Errorf("err = %v; want the note column of customers.parquet named", err)
		}
	})
}
