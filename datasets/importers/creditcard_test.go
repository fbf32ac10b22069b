package importers

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

const applicationHeader = "ID,CODE_GENDER,FLAG_OWN_CAR,FLAG_OWN_REALTY,CNT_CHILDREN,AMT_INCOME_TOTAL,NAME_INCOME_TYPE,NAME_EDUCATION_TYPE,NAME_FAMILY_STATUS,NAME_HOUSING_TYPE,DAYS_BIRTH,DAYS_EMPLOYED,FLAG_MOBIL,FLAG_WORK_PHONE,FLAG_PHONE,FLAG_EMAIL,OCCUPATION_TYPE,CNT_FAM_MEMBERS"

// creditFolder writes the two files of the dataset, with CRLF line ends as
// the published credit_record has.
func creditFolder(t *testing.T, credit, applications []string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, creditRecordFile, strings.Join(credit, "\r\n")+"\r\n")
	writeFile(t, dir, applicationRecordFile, strings.Join(applications, "\n")+"\n")
	return dir
}

func TestCreditCardApprovalMapping(t *testing.T) {
	in := creditFolder(t, []string{
		"ID,MONTHS_BALANCE,STATUS",
		"5001711,0,X",
		"5001711,-1,0",
		"5001711,-2,C",
		"10,0,5",
		"10,-3,2",
		"9,0,1",
	}, []string{
		applicationHeader,
		"9,F,N,Y,1,112500.0,Commercial associate,Secondary / secondary special,Married,House / apartment,-19110,365243,1,0,0,1,Sales staff,3.0",
		"5001711,M,Y,Y,0,427500.0,Working,Higher education,Civil marriage,Rented apartment,-12005,-4542,1,1,0,0,,2.0",
		"5001711,F,N,N,2,1.0,Working,Higher education,Married,Rented apartment,-1,-1,1,1,1,1,,4.0",
		"777,M,Y,Y,0,1.0,Working,Higher education,Married,Rented apartment,-1,-1,1,1,1,1,,2.0",
	})
	out := filepath.Join(t.TempDir(), "book")
	stats, err := CreditCardApproval(context.Background(), in, out)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Customers: 2, Statements: 6, Skipped: 2,
		SkipReasons: map[string]int{skipDuplicateApplication: 1, skipNoCreditRecord: 1}}
	if !statsEqual(stats, want) {
		t.Errorf("got stats %+v; want %+v", stats, want)
	}

	type stmt struct {
		id, end, status string
		dpd             int32
	}
	// Integer ids in numeric order (datasets.CompareIDs).
	wantStatements := []stmt{
		{"9", "2020-01-31", "1", 30},
		{"10", "2019-10-31", "2", 60},
		{"10", "2020-01-31", "5", 150},
		{"5001711", "2019-11-30", "C", 0},
		{"5001711", "2019-12-31", "0", 1},
		{"5001711", "2020-01-31", "X", 0},
	}
	st := readTable[statementRow](t, out, datasets.Statements)
	if len(st) != len(wantStatements) {
		t.Fatalf("got %d statements; want %d", len(st), len(wantStatements))
	}
	for i, w := range wantStatements {
		r := st[i]
		if r.DaysPastDue == nil {
			t.Errorf("statement %d: got null days_past_due; want %d", i+1, w.dpd)
			continue
		}
		got := stmt{r.CustomerID, datasets.Date(r.PeriodEnd).String(), deref(r.Status), *r.DaysPastDue}
		if got != w {
			t.Errorf("statement %d: got %+v; want %+v", i+1, got, w)
		}
		if r.Balance != nil || r.CreditLimit != nil || r.Payment != nil {
			t.Errorf("statement %d: got balance %v, limit %v, payment %v; want all null", i+1, r.Balance, r.CreditLimit, r.Payment)
		}
	}

	customers := readCustomers(t, out)
	if len(customers) != 2 || customers[0].ID != "9" || customers[1].ID != "5001711" {
		t.Fatalf("got customers %+v; want 9 and 5001711", customers)
	}
	c := customers[1] // the first of its two applications
	wantNumeric := map[string]float64{"cnt_children": 0, "amt_income_total": 427500, "days_birth": -12005, "days_employed": -4542,
		"flag_mobil": 1, "flag_work_phone": 1, "flag_phone": 0, "flag_email": 0, "cnt_fam_members": 2}
	for k, w := range wantNumeric {
		if got, ok := c.Numeric[k]; !ok || got != w {
			t.Errorf("customer 5001711: got %s = %v (present %v); want %v", k, got, ok, w)
		}
	}
	wantCategorical := map[string]string{"code_gender": "M", "flag_own_car": "Y", "flag_own_realty": "Y", "name_income_type": "Working",
		"name_education_type": "Higher education", "name_family_status": "Civil marriage", "name_housing_type": "Rented apartment"}
	for k, w := range wantCategorical {
		if got := c.Categorical[k]; got != w {
			t.Errorf("customer 5001711: got %s = %q; want %q", k, got, w)
		}
	}
	if v, ok := c.Categorical["occupation_type"]; ok {
		t.Errorf("customer 5001711: got occupation_type %q; want missing", v)
	}
	if got := customers[0].Categorical["occupation_type"]; got != "Sales staff" {
		t.Errorf("customer 9: got occupation_type %q; want %q", got, "Sales staff")
	}

	meta := readMeta(t, out)
	wantMeta := datasets.Meta{Name: "credit-card-approval", ObservedUntil: datasets.Date(date("2020-01-31")), Horizon: "12mo", DPDThreshold: 60}
	if meta != wantMeta {
		t.Errorf("got book.yaml %+v; want %+v", meta, wantMeta)
	}
}

func TestCreditCardApprovalBadInput(t *testing.T) {
	okApps := []string{applicationHeader}
	tests := []struct {
		name         string
		credit, apps []string
		file         string
		row          int64
		column       string
	}{
		{"unknown status", []string{"ID,MONTHS_BALANCE,STATUS", "1,0,X", "1,-1,7"}, okApps, creditRecordFile, 2, "STATUS"},
		{"month after the extract", []string{"ID,MONTHS_BALANCE,STATUS", "1,1,X"}, okApps, creditRecordFile, 1, "MONTHS_BALANCE"},
		{"unparsable month", []string{"ID,MONTHS_BALANCE,STATUS", "1,-1.5,X"}, okApps, creditRecordFile, 1, "MONTHS_BALANCE"},
		{"month twice", []string{"ID,MONTHS_BALANCE,STATUS", "1,0,X", "2,0,X", "1,-1,C", "1,0,C"}, okApps, creditRecordFile, 4, "MONTHS_BALANCE"},
		{"empty ID", []string{"ID,MONTHS_BALANCE,STATUS", ",0,X"}, okApps, creditRecordFile, 1, "ID"},
		{"missing column", []string{"ID,STATUS", "1,X"}, okApps, creditRecordFile, 0, "MONTHS_BALANCE"},
		{"unparsable income", []string{"ID,MONTHS_BALANCE,STATUS", "1,0,X"},
			[]string{applicationHeader, "1,M,Y,Y,0,lots,Working,Higher education,Married,Rented apartment,-1,-1,1,1,1,1,,2.0"},
			applicationRecordFile, 1, "AMT_INCOME_TOTAL"},
		{"missing application column", []string{"ID,MONTHS_BALANCE,STATUS", "1,0,X"},
			[]string{strings.Replace(applicationHeader, ",DAYS_BIRTH", "", 1)}, applicationRecordFile, 0, "DAYS_BIRTH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := creditFolder(t, tt.credit, tt.apps)
			out := filepath.Join(t.TempDir(), "book")
			_, err := CreditCardApproval(context.Background(), in, out)
			checkInputError(t, err, filepath.Join(in, tt.file), tt.row, tt.column)
			checkEmptyDir(t, out)
		})
	}
}

func TestCreditCardApprovalRealData(t *testing.T) {
	in := realData(t, "credit-card-approval")
	out := t.TempDir()
	stats, err := CreditCardApproval(context.Background(), in, out)
	if err != nil {
		t.Fatal(err)
	}
	// 438,557 applications: 47 repeat an ID and 402,053 have no credit
	// record, which leaves 36,457 customers.
	want := Stats{Customers: 36457, Statements: 1048575, Skipped: 47 + 402053,
		SkipReasons: map[string]int{skipDuplicateApplication: 47, skipNoCreditRecord: 402053}}
	if !statsEqual(stats, want) {
		t.Errorf("got stats %+v; want %+v", stats, want)
	}
	st := readTable[statementRow](t, out, datasets.Statements)
	if len(st) != want.Statements {
		t.Fatalf("read %d statements; want %d", len(st), want.Statements)
	}
	checkSorted(t, datasets.Statements, len(st), func(i int) (string, int32) { return st[i].CustomerID, st[i].PeriodEnd })
	accounts, worst := 0, int32(0)
	first, last := int32(math.MaxInt32), int32(math.MinInt32)
	for i, r := range st {
		if i == 0 || r.CustomerID != st[i-1].CustomerID {
			accounts++
		}
		worst = max(worst, deref(r.DaysPastDue))
		first, last = min(first, r.PeriodEnd), max(last, r.PeriodEnd)
	}
	if accounts != 45985 {
		t.Errorf("got statements of %d customers; want 45985", accounts)
	}
	// MONTHS_BALANCE runs from -60 to 0.
	if got, want := datasets.Date(first).String(), "2015-01-31"; got != want {
		t.Errorf("got first period_end %s; want %s", got, want)
	}
	if got, want := datasets.Date(last).String(), "2020-01-31"; got != want {
		t.Errorf("got last period_end %s; want %s", got, want)
	}
	if worst != 150 {
		t.Errorf("got worst days_past_due %d; want 150 (status 5 occurs)", worst)
	}
	customers := readCustomers(t, out)
	if len(customers) != want.Customers {
		t.Errorf("read %d customers; want %d", len(customers), want.Customers)
	}
	checkSorted(t, datasets.Customers, len(customers), func(i int) (string, int32) { return customers[i].ID, 0 })
}

func BenchmarkCreditCardApproval(b *testing.B) {
	in := realData(b, "credit-card-approval")
	out := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CreditCardApproval(context.Background(), in, out); err != nil {
			b.Fatal(err)
		}
	}
}
