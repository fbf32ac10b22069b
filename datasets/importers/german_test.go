package importers

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

// The first three lines of german.data, with the second one's class bad.
const germanSample = `A11 6 A34 A43 1169 A65 A75 4 A93 A101 4 A121 67 A143 A152 2 A173 1 A192 A201 1
A12 48 A32 A43 5951 A61 A73 2 A92 A101 2 A121 22 A143 A152 1 A173 1 A191 A201 2
A14 12 A34 A46 2096 A61 A74 2 A93 A101 3 A121 49 A143 A152 1 A172 2 A191 A201 1
`

func TestGermanMapping(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "german.data", germanSample)
	out := filepath.Join(dir, "book")
	stats, err := German(context.Background(), in, out)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Stats{Customers: 3, Defaults: 1, Observations: 3}); !statsEqual(stats, want) {
		t.Errorf("got stats %+v; want %+v", stats, want)
	}

	customers := readCustomers(t, out)
	if len(customers) != 3 {
		t.Fatalf("got %d customers; want 3", len(customers))
	}
	for i, id := range []string{"0001", "0002", "0003"} {
		if customers[i].ID != id {
			t.Errorf("customer %d: got ID %q; want %q", i+1, customers[i].ID, id)
		}
	}
	c := customers[0]
	wantNumeric := map[string]float64{"duration_months": 6, "credit_amount": 1169, "installment_rate": 4, "residence_since": 4,
		"age": 67, "existing_credits": 2, "people_liable": 1, "requested_limit": 1169}
	wantCategorical := map[string]string{"checking_status": "A11", "credit_history": "A34", "purpose": "A43", "savings": "A65",
		"employment_since": "A75", "personal_status_sex": "A93", "other_debtors": "A101", "property": "A121",
		"other_installment_plans": "A143", "housing": "A152", "job": "A173", "telephone": "A192", "foreign_worker": "A201"}
	if len(c.Numeric) != len(wantNumeric) || len(c.Categorical) != len(wantCategorical) {
		t.Errorf("customer 0001: got %d numeric and %d categorical attributes; want %d and %d",
			len(c.Numeric), len(c.Categorical), len(wantNumeric), len(wantCategorical))
	}
	for k, w := range wantNumeric {
		if got, ok := c.Numeric[k]; !ok || got != w {
			t.Errorf("customer 0001: got %s = %v (present %v); want %v", k, got, ok, w)
		}
	}
	for k, w := range wantCategorical {
		if got := c.Categorical[k]; got != w {
			t.Errorf("customer 0001: got %s = %q; want %q", k, got, w)
		}
	}

	obs := readTable[observationRow](t, out, datasets.Observations)
	if len(obs) != 3 || obs[2] != (observationRow{"0003", date("2000-01-01")}) {
		t.Errorf("got observations %+v; want 0001 to 0003 as of 2000-01-01", obs)
	}
	defs := readTable[defaultRow](t, out, datasets.Defaults)
	if len(defs) != 1 || defs[0].CustomerID != "0002" || defs[0].DefaultDate != date("2000-12-31") || deref(defs[0].Reason) != "bad credit" {
		t.Errorf("got defaults %+v; want 0002 on 2000-12-31, bad credit", defs)
	}
	meta := readMeta(t, out)
	wantMeta := datasets.Meta{Name: "german", Currency: "DEM", ObservedUntil: datasets.Date(date("2001-01-01")), Horizon: "12mo"}
	if meta != wantMeta {
		t.Errorf("got book.yaml %+v; want %+v", meta, wantMeta)
	}
}

func TestGermanBadInput(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(germanSample), "\n")
	tests := []struct {
		name   string
		line   string // replaces the second line
		column string
	}{
		{"code of another attribute", strings.Replace(lines[1], "A12 ", "A21 ", 1), "checking_status"},
		{"code without digits", strings.Replace(lines[1], "A43 ", "A4x ", 1), "purpose"},
		{"unparsable duration", strings.Replace(lines[1], " 48 ", " six ", 1), "duration_months"},
		{"bad class", strings.TrimSuffix(lines[1], "2") + "3", "class"},
		{"no class", strings.TrimSuffix(lines[1], " 2"), "class"},
		{"short line", strings.TrimSuffix(lines[1], " A201 2"), "foreign_worker"},
		{"extra field", lines[1] + " 1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, "german.data", strings.Join([]string{lines[0], tt.line, lines[2]}, "\n")+"\n")
			out := filepath.Join(dir, "book")
			_, err := German(context.Background(), in, out)
			checkInputError(t, err, in, 2, tt.column)
			checkEmptyDir(t, out)
		})
	}
}

func TestGermanRealData(t *testing.T) {
	in := realData(t, "german/german.data")
	out := t.TempDir()
	stats, err := German(context.Background(), in, out)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Stats{Customers: 1000, Defaults: 300, Observations: 1000}); !statsEqual(stats, want) {
		t.Errorf("got stats %+v; want %+v", stats, want)
	}
	customers := readCustomers(t, out)
	if len(customers) != 1000 || customers[0].ID != "0001" || customers[999].ID != "1000" {
		t.Fatalf("got %d customers from %q to %q; want 1000 from 0001 to 1000", len(customers), customers[0].ID, customers[len(customers)-1].ID)
	}
	defs := readTable[defaultRow](t, out, datasets.Defaults)
	checkSorted(t, datasets.Defaults, len(defs), func(i int) (string, int32) { return defs[i].CustomerID, defs[i].DefaultDate })
}
