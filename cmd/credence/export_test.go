package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets/testenv"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/logistic"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/models/scorecard"
)

// exportRegistry registers a scorecard (v0001) and a logistic model
// (v0002) fitted on rows with missing and special values.
func exportRegistry(t *testing.T) (dir string, d *models.Dataset, sc *scorecard.Model) {
	t.Helper()
	const rows = 2000
	names := []string{"dpd_max", "utilisation", `segment="retail"`}
	rng := rand.New(rand.NewPCG(7, 11))
	d = &models.Dataset{X: models.NewMatrix(rows, names), Y: make([]float64, rows)}
	for i := range rows {
		dpd := float64(rng.IntN(7))
		util := math.Round(rng.Float64()*150) / 100
		retail := float64(rng.IntN(2))
		z := -2.2 + 0.35*dpd + 1.2*util + 0.3*retail
		x := d.X.Row(i)
		copy(x, []float64{dpd, util, retail})
		switch u := rng.Float64(); {
		case u < 0.05:
			x[1] = math.NaN()
		case u < 0.08:
			x[1] = -1
		}
		if rng.Float64() < models.Sigmoid(z) {
			d.Y[i] = 1
		}
	}
	cfg := scorecard.DefaultConfig()
	cfg.Special = map[string][]float64{"utilisation": {-1}}
	m, err := scorecard.Trainer{Config: cfg}.Fit(context.Background(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	lr, err := logistic.Trainer{Config: logistic.DefaultConfig()}.Fit(context.Background(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	reg, err := registry.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, model := range []models.Model{m, lr} {
		if _, err := reg.Add(&artifact.Artifact{Model: model}); err != nil {
			t.Fatal(err)
		}
	}
	return dir, d, m.(*scorecard.Model)
}

// TestModelsExportSQLScoresInSQLite exports a registered scorecard with
// credence models export and runs the file in SQLite (the sqlite3 shell):
// every row's score equals the scorecard's, bit for bit.
func TestModelsExportSQLScoresInSQLite(t *testing.T) {
	sqlite := testenv.Tool(t, "sqlite3", "apt-get install sqlite3")
	dir, d, sc := exportRegistry(t)
	out := filepath.Join(t.TempDir(), "scorecard.sql")
	if msg, err := credence(t, "models", "export", "v0001", "--registry", dir, "--format", "sql", "--table", "book rows", "--out", out); err != nil {
		t.Fatalf("models export: %v\n%s", err, msg)
	}
	query, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	const rows = 300
	var script strings.Builder
	cols := make([]string, d.X.Cols)
	for j, name := range d.X.Names {
		cols[j] = scorecard.QuoteIdent(name) + " REAL"
	}
	fmt.Fprintf(&script, "CREATE TABLE \"book rows\" (%s);\n", strings.Join(cols, ", "))
	for i := range rows {
		vals := make([]string, d.X.Cols)
		for j, v := range d.X.Row(i) {
			vals[j] = "NULL"
			if !math.IsNaN(v) {
				vals[j] = strconv.FormatFloat(v, 'g', -1, 64)
			}
		}
		fmt.Fprintf(&script, "INSERT INTO \"book rows\" VALUES (%s);\n", strings.Join(vals, ", "))
	}
	// The exported file is one statement; as a view its score can be
	// printed at full precision.
	fmt.Fprintf(&script, "CREATE VIEW scored AS %s\n", strings.TrimSuffix(strings.TrimSpace(string(query)), ";")+";")
	script.WriteString("SELECT printf('%.17g', score) FROM scored;\n")
	cmd := exec.Command(sqlite, ":memory:")
	cmd.Stdin = strings.NewReader(script.String())
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, res)
	}
	lines := strings.Fields(string(res))
	if len(lines) != rows {
		t.Fatalf("sqlite3 returned %d scores; want %d\n%s", len(lines), rows, res)
	}
	var missing, special int
	for i, line := range lines {
		got, err := strconv.ParseFloat(line, 64)
		if err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
		x := d.X.Row(i)
		if want := sc.Score(x); got != want {
			t.Errorf("row %d: SQL score %v; want %v", i+1, got, want)
		}
		if math.IsNaN(x[1]) {
			missing++
		} else if x[1] == -1 {
			special++
		}
	}
	if missing == 0 || special == 0 {
		t.Errorf("%d missing and %d special rows; the check needs both", missing, special)
	}
}

func TestModelsExportJSONAndRefusals(t *testing.T) {
	dir, _, _ := exportRegistry(t)
	out := filepath.Join(t.TempDir(), "model.json")
	if msg, err := credence(t, "models", "export", "v0002", "--registry", dir, "--format", "json", "--out", out); err != nil {
		t.Fatalf("models export --format json: %v\n%s", err, msg)
	}
	var def struct {
		Version  string          `json:"version"`
		Family   string          `json:"family"`
		Features []string        `json:"features"`
		Model    json.RawMessage `json:"model"`
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &def); err != nil {
		t.Fatalf("exported JSON: %v", err)
	}
	if def.Version != "v0002" || def.Family != "logistic" || len(def.Features) != 3 || len(def.Model) < 10 {
		t.Errorf("exported definition %+v; want v0002, logistic, 3 features and the model", def)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"v0002", "--format", "sql"}, "only scorecards export to SQL"},
		{[]string{"v0001", "--format", "pmml"}, `want sql or json`},
		{[]string{"v0009", "--format", "json"}, "v0009"},
	} {
		args := append([]string{"models", "export", "--registry", dir, "--out", filepath.Join(t.TempDir(), "x")}, tc.args...)
		if msg, err := credence(t, args...); err == nil || !strings.Contains(err.Error()+msg, tc.want) {
			t.Errorf("%v: error %v; want one saying %q", tc.args, err, tc.want)
		}
	}
}
