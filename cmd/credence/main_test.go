package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/credence-risk/credence/datasets/testenv"
	"github.com/credence-risk/credence/serve/creditpb"
)

// credence runs the command line in-process and returns its output.
func credence(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestVersion(t *testing.T) {
	out, err := credence(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "credence ") || !strings.Contains(out, strings.TrimPrefix(runtime.Version(), "go")) {
		t.Errorf("version printed %q; want the version and %s", out, runtime.Version())
	}
}

// TestConfigPrecedence checks flag > CREDENCE_* environment > config file > default.
func TestConfigPrecedence(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "credence.yaml")
	if err := os.WriteFile(cfg, []byte("months: 7\nsynth:\n  seed: 3\ncustomers: 11\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CREDENCE_SYNTH_SEED", "5")
	t.Setenv("CREDENCE_DEFAULT_RATE", "0.05")
	out, err := credence(t, "config", "synth", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"months: 7", "# config " + cfg + " key months", "seed: 5", "# environment CREDENCE_SYNTH_SEED",
		"default-rate: 0.05", "format: parquet"} {
		if !strings.Contains(out, want) {
			t.Errorf("config output lacks %q:\n%s", want, out)
		}
	}
	// The same precedence in a real run: the flag beats env and file.
	dir := t.TempDir()
	out, err = credence(t, "synth", "--config", cfg, "--customers", "40", "--months", "13", "--out", filepath.Join(dir, "book"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "40 customers") {
		t.Errorf("synth with --customers 40 printed %q", out)
	}
	// From the file alone.
	out, err = credence(t, "synth", "--config", cfg, "--out", filepath.Join(dir, "book2"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "11 customers") {
		t.Errorf("synth with customers: 11 in the file printed %q", out)
	}
}

func TestConfigRefusesUnknownSetting(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "credence.yaml")
	if err := os.WriteFile(cfg, []byte("custmers: 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := credence(t, "config", "--config", cfg); err == nil || !strings.Contains(err.Error(), "custmers") {
		t.Errorf("err = %v; want unknown setting custmers", err)
	}
}

func TestSynthCheckSort(t *testing.T) {
	dir := t.TempDir()
	book := filepath.Join(dir, "book")
	if out, err := credence(t, "synth", "--customers", "300", "--months", "12", "--seed", "2", "--customers-per-part", "100", "--out", book); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := credence(t, "book", "check", book)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"customers", "300 (in any table)", "invoices", "defaulted", "observed until"} {
		if !strings.Contains(out, want) {
			t.Errorf("book check output lacks %q:\n%s", want, out)
		}
	}
	sorted := filepath.Join(dir, "sorted")
	if out, err := credence(t, "book", "sort", book, "--out", sorted, "--run-rows", "500"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	again, err := credence(t, "book", "check", sorted)
	if err != nil {
		t.Fatalf("%v\n%s", err, again)
	}
	strip := func(s string) string { // drop the lines that name paths and file counts
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, "book ") && !strings.Contains(l, "file(s)") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if strip(out) != strip(again) {
		t.Errorf("sorted copy summarises differently:\n%s\nvs\n%s", out, again)
	}
}

func TestBookCheckNamesBadRow(t *testing.T) {
	dir := t.TempDir()
	csv := "customer_id,invoice_id,issue_date,due_date,amount\nA,1,2024-01-01,2024-02-01,5\nA,2,2024-01-01,2023-12-01,5\n"
	if err := os.WriteFile(filepath.Join(dir, "invoices.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := credence(t, "book", "check", dir)
	if err == nil || !strings.Contains(err.Error(), "invoices.csv: row 2, column due_date") {
		t.Errorf("err = %v; want it to name invoices.csv row 2 column due_date", err)
	}
	out, err := credence(t, "book", "check", "--tolerant", dir)
	if err == nil || !strings.Contains(out, "skipped 1 rows") {
		t.Errorf("tolerant check: err = %v, output %q; want 1 skipped row reported", err, out)
	}
}

func TestImportNeedsKnownName(t *testing.T) {
	_, err := credence(t, "import", "nope", "--in", "x", "--out", "y")
	if err == nil || !strings.Contains(err.Error(), "uci-taiwan") {
		t.Errorf("err = %v; want the list of importers", err)
	}
}

func TestFeaturesMatrix(t *testing.T) {
	dir := t.TempDir()
	book := filepath.Join(dir, "book")
	if out, err := credence(t, "synth", "--customers", "200", "--months", "18", "--out", book); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, name := range []string{"m.csv", "m.parquet"} {
		out, err := credence(t, "features", "--book", book, "--horizon", "6mo", "--out", filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !strings.Contains(out, "rows ×") || !strings.Contains(out, "horizon 6mo") {
			t.Errorf("features printed %q", out)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "m.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "customer_id,as_of,label,inv_count_3m") {
		t.Errorf("matrix header = %q", strings.SplitN(string(b), "\n", 2)[0])
	}
	if _, err := credence(t, "features", "--book", book, "--horizon", "12parsecs", "--out", filepath.Join(dir, "x.csv")); err == nil {
		t.Errorf("a bad horizon was accepted")
	}
}

// TestTrainAndModels trains on a small synthetic book, then lists, shows,
// promotes and rolls back through the registry.
func TestTrainAndModels(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three model families")
	}
	dir := t.TempDir()
	book, reg := filepath.Join(dir, "book"), filepath.Join(dir, "registry")
	if out, err := credence(t, "synth", "--customers", "2000", "--months", "24", "--seed", "4", "--out", book); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, budget := range []string{"1s", "0"} {
		out, err := credence(t, "train", "--book", book, "--registry", reg, "--horizon", "12mo", "--seed", "1",
			"--plan-start", "2023-07-01", "--plan-end", "2023-12-01", "--calibration", "platt", "--tune-budget", budget)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for _, want := range []string{"scorecard", "gbdt", "logistic", "test AUC", "report.html"} {
			if !strings.Contains(out, want) {
				t.Errorf("train output lacks %q:\n%s", want, out)
			}
		}
		if tuned := strings.Contains(out, "tuning within"); tuned != (budget != "0") {
			t.Errorf("--tune-budget %s: tuning reported %v:\n%s", budget, tuned, out)
		}
	}
	out, err := credence(t, "models", "list", "--registry", reg)
	if err != nil || !strings.Contains(out, "v0001") || !strings.Contains(out, "v0002") {
		t.Fatalf("models list: %v\n%s", err, out)
	}
	if out, err = credence(t, "models", "show", "v0001", "--registry", reg); err != nil || !strings.Contains(out, "feature_set_version") {
		t.Fatalf("models show: %v\n%s", err, out)
	}
	// Each version's training report names it on its model card.
	for _, v := range []string{"v0001", "v0002"} {
		b, err := os.ReadFile(filepath.Join(reg, "versions", v, "report.json"))
		var card struct {
			Model struct{ Version string } `json:"model_card"`
		}
		if err != nil || json.Unmarshal(b, &card) != nil || card.Model.Version != v {
			t.Errorf("%s/report.json: model card version %q (%v); want %s", v, card.Model.Version, err, v)
		}
	}
	if out, err = credence(t, "models", "promote", "v0001", "--registry", reg); err != nil || !strings.Contains(out, "champion is now v0001") {
		t.Fatalf("models promote: %v\n%s", err, out)
	}
	if _, err = credence(t, "models", "promote", "v0009", "--registry", reg); err == nil {
		t.Error("promoting a missing version succeeded")
	}
	if out, err = credence(t, "models", "rollback", "--registry", reg); err != nil || !strings.Contains(out, "champion is now") {
		t.Fatalf("models rollback: %v\n%s", err, out)
	}
	out, err = credence(t, "validate", "--registry", reg, "--book", book, "--horizon", "12mo")
	if exitCode(err) == exitRed {
		t.Logf("validate: the light is red (exit %d)", exitRed)
	} else if err != nil || !strings.Contains(out, "light: ") || !strings.Contains(out, "validation-") {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	if out, err = credence(t, "models", "promote", "v0002", "--registry", reg, "--json"); err != nil || !strings.Contains(out, `"champion": "v0002"`) {
		t.Errorf("models promote --json: %v\n%s", err, out)
	}
	if out, err = credence(t, "models", "rollback", "--registry", reg); err != nil {
		t.Fatalf("models rollback: %v\n%s", err, out)
	}

	// Rescore the book twice, the second time against the first.
	first, second := filepath.Join(dir, "first.parquet"), filepath.Join(dir, "second.csv")
	var stdout, stderr bytes.Buffer
	if err = run(context.Background(), []string{"rescore", "--registry", reg, "--book", book, "--as-of", "2024-06-01", "--out", first, "--json"}, &stdout, &stderr); err != nil {
		t.Fatalf("rescore: %v\n%s", err, stderr.String())
	}
	var result struct {
		Rows   int64  `json:"rows"`
		Report string `json:"report"`
		AsOf   string `json:"as_of"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &result); err != nil || result.Rows == 0 || result.Report != first+".report.html" || result.AsOf != "2024-06-01" {
		t.Errorf("rescore --json: %+v, %v\n%s", result, err, stdout.String())
	}
	out, err = credence(t, "rescore", "--registry", reg, "--book", book, "--as-of", "2024-12-01", "--out", second, "--previous", first)
	if err != nil || !strings.Contains(out, "upgrades") {
		t.Fatalf("rescore --previous: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(second); err != nil || !strings.HasPrefix(string(b), "customer_id,as_of,pd,grade,score,recommended_limit,currency,reason_1,reason_1_text,reason_2,reason_2_text,reason_3,reason_3_text,model_version") {
		t.Errorf("rescore CSV header wrong or missing: %v", err)
	}
	if _, err := os.Stat(second + ".report.html"); err != nil {
		t.Errorf("rescore report missing: %v", err)
	}
	// A report that cannot be written publishes neither it nor the scores.
	before, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	if out, err = credence(t, "rescore", "--registry", reg, "--book", book, "--as-of", "2024-12-01", "--out", first, "--report", filepath.Join(first, "report")); err == nil {
		t.Errorf("rescore with an unwritable report succeeded:\n%s", out)
	}
	if after, err := os.ReadFile(first); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the scores changed although their report failed (%v)", err)
	}

	// Serve the champion in-process, call it with the client, then stop it.
	addr, stop := serveInProcess(t, "--registry", reg, "--book", book)
	var scored string
	for i := 0; i < 100; i++ {
		if scored, err = credence(t, "score", "--addr", addr, "--insecure", "--customer", "C00000001", "--as-of", "2024-06-01"); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || !strings.Contains(scored, "grade") {
		t.Fatalf("score: %v\n%s", err, scored)
	}
	out, err = credence(t, "limit", "--addr", addr, "--insecure", "--customer", "C00000001", "--amount", "50000", "--as-of", "2024-06-01", "--json")
	if err != nil || !strings.Contains(out, "recommended") {
		t.Fatalf("limit: %v\n%s", err, out)
	}
	// Every answer of the server equals the batch row of the same customer
	// and date, value for value.
	compareWithBatch(t, addr, second)
	if _, err = credence(t, "score", "--addr", addr, "--insecure", "--customer", "NOPE"); err == nil || !strings.Contains(err.Error(), "NotFound") && !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown customer: err = %v; want NotFound", err)
	}
	stop()

	html, err := os.ReadFile(filepath.Join(reg, "versions", "v0001", "report.html"))
	if err != nil || !bytes.Contains(html, []byte("<svg")) {
		t.Errorf("report.html missing or without charts: %v", err)
	}
}

// serveInProcess runs `credence serve` with args on a free loopback port
// and returns its address and a function that stops it and checks that it
// ended cleanly.
func serveInProcess(t *testing.T, args ...string) (addr string, stop func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = lis.Addr().String()
	lis.Close()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		var sink bytes.Buffer
		served <- run(ctx, append([]string{"serve", "--addr", addr, "--metrics-addr", ""}, args...), &sink, &sink)
	}()
	return addr, func() {
		t.Helper()
		cancel()
		select {
		case err := <-served:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("serve ended with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop after its context was cancelled")
		}
	}
}

// compareWithBatch asks the server at addr for the score and limit of the
// first customers of a rescore CSV and compares them with its rows: PD and
// recommended limit bit for bit, grade, score and reasons.
func compareWithBatch(t *testing.T, addr, scoresCSV string) {
	t.Helper()
	records := testenv.CSVRecords(t, scoresCSV)
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	rows := records[1:min(len(records), 41)]
	if len(rows) < 20 {
		t.Fatalf("%s has %d rows", scoresCSV, len(records)-1)
	}
	num := func(row []string, name string) float64 {
		x, err := strconv.ParseFloat(row[col[name]], 64)
		if err != nil {
			t.Fatalf("%s: %s: %v", scoresCSV, name, err)
		}
		return x
	}
	for _, row := range rows {
		id, asOf := row[col["customer_id"]], row[col["as_of"]]
		out, err := credence(t, "limit", "--addr", addr, "--insecure", "--customer", id, "--as-of", asOf, "--json")
		if err != nil {
			t.Fatalf("limit %s: %v\n%s", id, err, out)
		}
		var got creditpb.RecommendLimitResponse
		if err := protojson.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("limit %s: %v\n%s", id, err, out)
		}
		s := got.GetScoring()
		var reasons []string
		for _, r := range s.GetReasons() {
			reasons = append(reasons, r.GetFeature())
		}
		var want []string
		for _, name := range []string{"reason_1", "reason_2", "reason_3"} {
			if r := row[col[name]]; r != "" {
				want = append(want, r)
			}
		}
		if s.GetPd() != num(row, "pd") || float64(s.GetGrade()) != num(row, "grade") || s.GetScore() != num(row, "score") ||
			math.Round(100*got.GetRecommendedLimit()) != math.Round(100*num(row, "recommended_limit")) || !slices.Equal(reasons, want) ||
			creditpb.DateString(s.GetAsOf()) != asOf || s.GetModelVersion() != row[col["model_version"]] {
			t.Errorf("%s as of %s: server PD %v grade %d score %v limit %v reasons %q; batch row %q",
				id, asOf, s.GetPd(), s.GetGrade(), s.GetScore(), got.GetRecommendedLimit(), reasons, row)
		}
	}
}

func TestServeLogFormat(t *testing.T) {
	out, err := credence(t, "serve", "--log-format", "xml", "--registry", t.TempDir(), "--book", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), `--log-format: "xml" is not json or text`) {
		t.Errorf("serve --log-format xml: %v\n%s; want the flag refused", err, out)
	}
}

// TestTolerantReportsSkippedRows: a command that skips bad rows under
// --tolerant says which, how many and where, when it ends.
func TestTolerantReportsSkippedRows(t *testing.T) {
	dir := t.TempDir()
	book := filepath.Join(dir, "book")
	if out, err := credence(t, "synth", "--customers", "200", "--months", "18", "--out", book); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	bad := "customer_id,invoice_id,issue_date,due_date,amount\nZZZZ,1,2023-01-01,2023-02-01,0\nZZZZ,2,2023-01-01,2023-02-01,5\n"
	if err := os.WriteFile(filepath.Join(book, "invoices", "part-99999.csv"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	matrix := filepath.Join(dir, "m.csv")
	if _, err := credence(t, "features", "--book", book, "--horizon", "6mo", "--out", matrix); err == nil || !strings.Contains(err.Error(), "part-99999.csv: row 1, column amount") {
		t.Errorf("err = %v; want the bad row located", err)
	}
	out, err := credence(t, "features", "--book", book, "--horizon", "6mo", "--out", matrix, "--tolerant")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"skipped 1 rows", "1 × invoices.amount", "part-99999.csv: row 1, column amount"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestBookCheckReadsExportsAsTheyAre: a Hive-partitioned table in no
// order is checked in full (not passed over), sorted once with a word on
// stderr; a table folder with no files is an error.
func TestBookCheckReadsExportsAsTheyAre(t *testing.T) {
	t.Setenv("CREDENCE_CACHE_DIR", t.TempDir())
	book := t.TempDir()
	const head = "customer_id,invoice_id,issue_date,due_date,amount\n"
	files := map[string]string{
		"invoices/year=2023/part-0.csv": head + "11,1,2023-05-01,2023-06-01,5\n9,1,2023-06-01,2023-07-01,5\n",
		"invoices/year=2024/part-0.csv": head + "9,2,2024-01-05,2024-02-01,7\n100,1,2024-02-01,2024-03-01,7\n",
	}
	for name, content := range files {
		path := filepath.Join(book, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := credence(t, "book", "check", book)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"3 (in any table)", "4 rows in 2 file(s), read from a sorted copy", "2023-05-01 to 2024-02-01", "invoices not sorted by customer_id", "sorting a copy"} {
		if !strings.Contains(out, want) {
			t.Errorf("book check output lacks %q:\n%s", want, out)
		}
	}
	if out, err := credence(t, "book", "check", book); err != nil || strings.Contains(out, "sorting a copy") {
		t.Errorf("second check: err = %v; want the sorted copy reused silently:\n%s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(book, "statements", "year=2024"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := credence(t, "book", "check", book); err == nil || !strings.Contains(err.Error(), "statements") {
		t.Errorf("err = %v; want the empty statements folder refused", err)
	}
}

// TestSampleAndTrainOnIt draws a training sample and trains on it; the
// sample and the book exclude each other.
func TestSampleAndTrainOnIt(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	dir := t.TempDir()
	book := filepath.Join(dir, "book")
	if out, err := credence(t, "synth", "--customers", "1500", "--months", "24", "--out", book); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	sample := filepath.Join(dir, "sample.parquet")
	out, err := credence(t, "sample", "--book", book, "--non-default-rate", "0.3", "--seed", "2", "--out", sample)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "every default and 30% of the non-defaults, each weighing 3.333 (seed 2)") {
		t.Errorf("sample printed %q", out)
	}
	reg := filepath.Join(dir, "reg")
	if out, err := credence(t, "train", "--sample", sample, "--book", book, "--registry", reg); err == nil || !strings.Contains(err.Error(), "exclude each other") {
		t.Errorf("--sample with --book: %v\n%s", err, out)
	}
	if out, err := credence(t, "train", "--sample", sample, "--horizon", "6mo", "--registry", reg); err == nil || !strings.Contains(err.Error(), "--horizon") {
		t.Errorf("--sample with --horizon: %v\n%s", err, out)
	}
	out, err = credence(t, "train", "--sample", sample, "--registry", reg, "--tune-budget", "0", "--families", "logistic,gbdt", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	show, err := credence(t, "models", "show", "v0001", "--registry", reg)
	if err != nil {
		t.Fatalf("%v\n%s", err, show)
	}
	if !strings.Contains(show, "30% of the non-defaults") {
		t.Errorf("models show does not say the model was trained on a sample:\n%s", show)
	}
	if out, err := credence(t, "sample", "--book", book, "--non-default-rate", "0", "--out", sample); err == nil {
		t.Errorf("rate 0 accepted:\n%s", out)
	}
}
