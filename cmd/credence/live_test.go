package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/serve/creditpb"
)

// TestLiveBookCommands serves a live store loaded from a small synthetic
// book, ingests a day of changes made by `synth delta`, retries it, sends
// a delta with bad rows, lists the alerts and sweeps.
func TestLiveBookCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model and serves it")
	}
	dir := t.TempDir()
	book, reg, delta := filepath.Join(dir, "book"), filepath.Join(dir, "registry"), filepath.Join(dir, "delta")
	steps := [][]string{
		{"synth", "--customers", "600", "--months", "24", "--seed", "3", "--out", book},
		{"train", "--book", book, "--registry", reg, "--horizon", "12mo", "--seed", "1", "--tune-budget", "0"},
		{"synth", "delta", "--book", book, "--out", delta, "--seed", "2", "--format", "csv"},
	}
	for _, args := range steps {
		if out, err := credence(t, args...); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	rows := 0
	for _, table := range []string{"invoices", "customers", "defaults"} {
		if b, err := os.ReadFile(filepath.Join(delta, table+".csv")); err == nil {
			rows += strings.Count(string(b), "\n") - 1
		}
	}
	if rows == 0 {
		t.Fatal("the delta holds no rows")
	}

	addr, stop := serveInProcess(t, "--registry", reg, "--store", filepath.Join(dir, "store"), "--book", book, "--log-level", "warn")
	defer stop()
	client := func(args ...string) (string, error) {
		return credence(t, append(args, "--addr", addr, "--insecure")...)
	}
	var out string
	var err error
	for range 200 {
		if out, err = client("score", "--customer", "C00000001"); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("score: %v\n%s", err, out)
	}

	counts := regexp.MustCompile(`(\d+) rows, (\d+) accepted, (\d+) unchanged, (\d+) refused; data date (\S+)`)
	ingest := func(args ...string) ([]int, string, error) {
		t.Helper()
		out, err := client(append([]string{"ingest"}, args...)...)
		m := counts.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("ingest %v printed no counts (err %v):\n%s", args, err, out)
		}
		var n []int
		for _, s := range m[1:5] {
			x, _ := strconv.Atoi(s)
			n = append(n, x)
		}
		return n, out, err
	}
	n, out, err := ingest(delta)
	if err != nil || n[0] != rows || n[1] != rows || n[2] != 0 || n[3] != 0 || !strings.Contains(out, "data date 2025-01-01") {
		t.Fatalf("ingest: err %v, counts %v; want all %d rows accepted, data date 2025-01-01:\n%s", err, n, rows, out)
	}
	// A retry changes nothing.
	if n, out, err = ingest(delta, "--batch", "7"); err != nil || n[1] != 0 || n[2] != rows || n[3] != 0 {
		t.Fatalf("retried ingest: err %v, counts %v; want all %d rows unchanged:\n%s", err, n, rows, out)
	}

	// Bad rows are refused by name: file, row, column; the others apply.
	bad := filepath.Join(dir, "bad")
	if err := os.MkdirAll(filepath.Join(bad, "statements"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount\n" +
			"C00000001,NEW-1,2025-01-01,2025-01-31,100\n" +
			"C00000001,NEW-2,2025-01-01,2024-12-01,100\n" +
			"C00000002,NEW-3,2025-13-01,2025-01-31,100\n",
		"statements/part-00000.csv": "customer_id,period_end,days_past_due\nC00000003,2024-12-31,0\nC00000003,2024-11-30,-4\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(bad, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n, out, err = ingest(bad)
	if err == nil || n[1] != 2 || n[3] != 3 {
		t.Errorf("bad delta: err %v, counts %v; want an error, 2 accepted and 3 refused:\n%s", err, n, out)
	}
	for _, want := range []string{
		filepath.Join(bad, "invoices.csv") + ": row 2, column due_date: due_date is before issue_date",
		filepath.Join(bad, "invoices.csv") + ": row 3, column issue_date:",
		filepath.Join(bad, "statements", "part-00000.csv") + ": row 2, column days_past_due:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bad delta output lacks %q:\n%s", want, out)
		}
	}
	if _, _, err = ingest(bad, "--tolerant"); err != nil {
		t.Errorf("--tolerant ingest failed: %v", err)
	}

	// Alerts are raised after the events are acknowledged: wait for them.
	var alerts []*creditpb.Alert
	for range 100 {
		if out, err = client("alerts", "--json"); err != nil {
			t.Fatalf("alerts: %v\n%s", err, out)
		}
		alerts = alerts[:0]
		for _, line := range strings.Split(out, "\n") {
			if !strings.HasPrefix(line, "{") {
				continue
			}
			var a creditpb.Alert
			if err := protojson.Unmarshal([]byte(line), &a); err != nil {
				t.Fatalf("alert %q: %v", line, err)
			}
			alerts = append(alerts, &a)
		}
		if len(alerts) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(alerts) == 0 {
		t.Fatalf("no alerts after the delta:\n%s", out)
	}
	for _, a := range alerts {
		_, derr := datasets.ParseDate(creditpb.DateString(a.GetDataDate()))
		_, cerr := strconv.ParseUint(a.GetCursor(), 10, 64)
		if derr != nil || cerr != nil || a.GetCustomerId() == "" || a.GetKind() == "" || a.GetAfter().GetGrade() < 1 || a.GetDetail() == "" {
			t.Errorf("alert %v: fields missing or unparsable (%v, %v)", a, derr, cerr)
		}
	}
	last := alerts[len(alerts)-1].GetCursor()
	if !strings.Contains(out, "cursor "+last+"\n") {
		t.Errorf("alerts --json did not end with cursor %s:\n%s", last, out)
	}
	// Resuming lists only newer alerts (the bad delta's may still come).
	out, err = client("alerts", "--since", last)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	end, _ := strconv.Atoi(strings.TrimPrefix(lines[len(lines)-1], "cursor "))
	from, _ := strconv.Atoi(last)
	if err != nil || end < from || len(lines)-1 != end-from {
		t.Errorf("alerts --since %s: %v; want the alerts after it and the last cursor:\n%s", last, err, out)
	}

	if out, err = client("sweep"); err != nil || !strings.Contains(out, "swept until 2025-01-01:") {
		t.Errorf("sweep: %v\n%s", err, out)
	}
}
