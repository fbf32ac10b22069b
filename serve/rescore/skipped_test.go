package rescore

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

// TestReportCarriesSkippedRows: the rows a tolerant read left out are in
// the report's JSON, located, and noted in its HTML.
func TestReportCarriesSkippedRows(t *testing.T) {
	f := testFixture(t)
	sum, _ := runAll(t, f, DefaultConfig(datasets.YMD(2024, 1, 1)))

	dir := t.TempDir()
	csv := "customer_id,invoice_id,issue_date,due_date,amount\nA,1,2024-01-01,2024-02-01,5\nA,2,2024-01-01,2024-02-01,0\n"
	if err := os.WriteFile(filepath.Join(dir, "invoices.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	book, err := datasets.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	book.Tolerant = true
	if _, err := book.ReadAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := NewReport(sum, book, "scores.parquet", "test", 0)
	var js, html bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		SkippedRows []datasets.SkipReason `json:"skipped_rows"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.SkippedRows) != 1 || back.SkippedRows[0].Rows != 1 || back.SkippedRows[0].Examples[0].Row != 2 {
		t.Errorf("JSON skipped_rows = %+v; want 1 row, row 2", back.SkippedRows)
	}
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "1 book rows skipped: invoices.amount") {
		t.Errorf("HTML does not note the skipped row")
	}
}
