package rescore

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/atomicfile"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/artifact"
)

// The kill test's child process: it writes the files below in a loop,
// each generation with content that says which generation it is and how
// much of it there must be, until its parent kills it.
const (
	killDirEnv = "CREDENCE_KILL_TEST_DIR" // set in the child: where to write
	killGenEnv = "CREDENCE_KILL_TEST_GEN" // the child's first generation

	killBlob      = "blob.bin"
	killModel     = "model.json"
	killInvoices  = "invoices.parquet"
	killScores    = "scores.parquet"
	killScoresCSV = "scores.csv.gz"
	killPair      = "pair.csv" // published with killPairReport, as rescore publishes scores and report
	killBlobSize  = 8 << 20
	killKills     = 30

	killPairReport = killPair + ".report.json"
)

var killTargets = []string{killBlob, killModel, killInvoices, killScores, killScoresCSV, killPair}

// TestWritersSurviveKill kills a process that is writing files through
// every kind of Credence writer at random points, and checks that each
// file is then absent, a complete earlier generation or the complete new
// one, and that nothing but hidden temporary files is left beside them.
func TestWritersSurviveKill(t *testing.T) {
	if dir := os.Getenv(killDirEnv); dir != "" {
		gen, _ := strconv.Atoi(os.Getenv(killGenEnv))
		killChild(t, dir, gen)
		return
	}
	if testing.Short() {
		t.Skip("kills child processes for several seconds; skipped with -short")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	tmp := filepath.Join(dir, "tmp") // the child's TestMain leaves its temporary directory there
	for _, d := range []string{out, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(2026, 7))
	seen := map[string]int{} // generation last seen in each file
	committed := 0           // kills after which some file had changed
	interrupted := 0         // temporary files left by writes cut short
	recovered := 0           // pair publishes cut short after their journal
	for kill := range killKills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWritersSurviveKill$", "-test.count=1")
		cmd.Env = append(os.Environ(), killDirEnv+"="+out, killGenEnv+"="+strconv.Itoa(kill*1_000_000), "TMPDIR="+tmp)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the child is writing, then let it run a while.
		ready := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if sc.Text() == "writing" {
					ready <- true
					return
				}
			}
			ready <- false
		}()
		select {
		case ok := <-ready:
			if !ok {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("the child process stopped before writing")
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the child process did not start writing")
		}
		time.Sleep(time.Duration(rng.IntN(250)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		cmd.Wait()

		// The next run recovers a publish the kill cut short: then the
		// scores and their report are of one generation.
		journal := atomicfile.JournalPath(filepath.Join(out, killPair))
		if _, err := os.Stat(journal); err == nil {
			recovered++
		}
		g, err := atomicfile.NewGroup(filepath.Join(out, killPair))
		if err != nil {
			t.Fatalf("after kill %d: %v", kill+1, err)
		}
		g.Abort()
		if gen, err := killReportGen(filepath.Join(out, killPairReport)); err != nil {
			t.Fatalf("after kill %d: %s: %v", kill+1, killPairReport, err)
		} else if scores, err := killCheck(filepath.Join(out, killPair)); err != nil || scores != gen {
			t.Errorf("after kill %d: %s holds generation %d (%v), its report generation %d", kill+1, killPair, scores, err, gen)
		}
		changed := false
		for _, name := range killTargets {
			gen, err := killCheck(filepath.Join(out, name))
			if err != nil {
				t.Fatalf("after kill %d: %s: %v", kill+1, name, err)
			}
			if gen < seen[name] {
				t.Errorf("after kill %d: %s holds generation %d, older than %d seen before", kill+1, name, gen, seen[name])
			}
			changed = changed || gen != seen[name]
			seen[name] = gen
		}
		if changed {
			committed++
		}
		entries, err := os.ReadDir(out)
		if err != nil {
			t.Fatal(err)
		}
		temps := 0
		for _, e := range entries {
			switch {
			case atomicfile.IsTemp(e.Name()):
				temps++
			case !isKillTarget(e.Name()):
				t.Errorf("after kill %d: unexpected file %s", kill+1, e.Name())
			}
		}
		interrupted = temps
	}
	if committed == 0 {
		t.Error("no file was ever replaced: the child never finished a write before it was killed")
	}
	// Every writer is dead: the next run removes what they left.
	for _, name := range append(killTargets, killPairReport) {
		if _, err := atomicfile.RemoveStale(filepath.Join(out, name)); err != nil {
			t.Fatal(err)
		}
	}
	left, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		if !isKillTarget(e.Name()) {
			t.Errorf("left after removing stale files: %s", e.Name())
		}
	}
	t.Logf("%d kills: %d after some file had been replaced; %d writes cut short; %d pair publishes recovered", killKills, committed, interrupted, recovered)
}

func isKillTarget(name string) bool {
	if name == killPairReport {
		return true
	}
	for _, n := range killTargets {
		if n == name {
			return true
		}
	}
	return false
}

// killChild writes generation after generation of every target until it
// is killed (or, should the parent be gone, for at most a minute).
func killChild(t *testing.T, dir string, gen int) {
	fmt.Println("writing")
	stop := time.Now().Add(time.Minute)
	for ; time.Now().Before(stop); gen++ {
		for _, name := range killTargets {
			if err := killWrite(filepath.Join(dir, name), gen); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// killRows is how many rows a table of generation gen has: it varies, so
// a file cut short or mixed with another generation shows.
func killRows(gen int) int { return 2000 + gen%997*7 }

func killWrite(path string, gen int) error {
	switch filepath.Base(path) {
	case killBlob:
		return writeBlob(path, gen)
	case killModel:
		return artifact.WriteFile(path, killArtifact(gen))
	case killPair:
		return writePair(path, gen)
	case killInvoices:
		w, err := datasets.NewInvoiceWriter(path)
		if err != nil {
			return err
		}
		day := datasets.YMD(2025, 1, 1)
		rows := make([]datasets.Invoice, killRows(gen))
		for i := range rows {
			rows[i] = datasets.Invoice{CustomerID: fmt.Sprintf("C%08d", i), InvoiceID: fmt.Sprintf("g%d-%d", gen, i),
				IssueDate: day, DueDate: day + 30, Amount: datasets.Amount(int64(i+1) * datasets.AmountScale),
				PaidDate: datasets.NoDate, PaidAmount: datasets.NoAmount}
		}
		if err := w.Write(rows); err != nil {
			w.Abort()
			return err
		}
		return w.Close()
	default:
		w, err := Create(path)
		if err != nil {
			return err
		}
		if err := w.Write(killScoreRows(gen)); err != nil {
			w.Abort()
			return err
		}
		return w.Close()
	}
}

// writePair publishes generation gen's scores with a report saying which
// generation it is, as one group.
func writePair(path string, gen int) error {
	g, err := atomicfile.NewGroup(path)
	if err != nil {
		return err
	}
	defer g.Abort()
	w, err := CreateIn(g, path)
	if err != nil {
		return err
	}
	if err := w.Write(killScoreRows(gen)); err != nil {
		w.Abort()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	report, err := json.Marshal(map[string]int{"generation": gen})
	if err != nil {
		return err
	}
	if err := writeAttachment(g, Attachment{Path: path + ".report.json", Data: report}); err != nil {
		return err
	}
	return g.Commit()
}

// killReportGen reads the generation of a pair's report; 0 when absent.
func killReportGen(path string) (int, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var r struct{ Generation int }
	err = json.Unmarshal(b, &r)
	return r.Generation, err
}

func killScoreRows(gen int) []Row {
	rows := make([]Row, killRows(gen))
	for i := range rows {
		rows[i] = Row{CustomerID: fmt.Sprintf("C%08d", i), AsOf: datasets.YMD(2025, 1, 1), PD: 0.01, Grade: 3,
			Score: 600, RecommendedLimit: float64(i), ModelVersion: "g" + strconv.Itoa(gen)}
	}
	return rows
}

// writeBlob writes killBlobSize bytes in chunks: the generation, bytes
// that depend on it, and the SHA-256 of all that before.
func writeBlob(path string, gen int) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	h := sha256.New()
	chunk := make([]byte, 64<<10)
	for off := 0; off < killBlobSize-sha256.Size; off += len(chunk) {
		for i := range chunk {
			chunk[i] = byte(gen + off + i)
		}
		binary.LittleEndian.PutUint64(chunk, uint64(gen))
		n := min(len(chunk), killBlobSize-sha256.Size-off)
		h.Write(chunk[:n])
		if _, err := f.Write(chunk[:n]); err != nil {
			return err
		}
	}
	if _, err := f.Write(h.Sum(nil)); err != nil {
		return err
	}
	return f.Commit()
}

// killLinear is a model family for the kill test: enough weights to make
// the artifact a few hundred KiB.
type killLinear struct {
	Weights []float64 `json:"weights"`
}

func (m *killLinear) Family() string                         { return "kill-linear" }
func (m *killLinear) Features() []string                     { return nil }
func (m *killLinear) PD([]float64) float64                   { return 0.5 }
func (m *killLinear) PDs(X *models.Matrix, out []float64)    {}
func (m *killLinear) Reasons([]float64, int) []models.Reason { return nil }
func (m *killLinear) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Weights []float64 `json:"weights"`
	}{m.Weights})
}

func killArtifact(gen int) *artifact.Artifact {
	w := make([]float64, 20_000+gen%997)
	for i := range w {
		w[i] = float64(gen) + float64(i)/7
	}
	return &artifact.Artifact{Model: &killLinear{w}, Created: time.Unix(0, 0).UTC(),
		Notes: map[string]string{"generation": strconv.Itoa(gen)}}
}

// killCheck reads a target back fully and returns its generation; 0 when
// the file is absent. A file that is not one whole generation is an error.
func killCheck(path string) (int, error) {
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return 0, nil
	}
	switch filepath.Base(path) {
	case killBlob:
		b, err := os.ReadFile(path)
		if err != nil {
			return 0, err
		}
		if len(b) != killBlobSize {
			return 0, fmt.Errorf("%d bytes; want %d", len(b), killBlobSize)
		}
		body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
		if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
			return 0, fmt.Errorf("checksum mismatch")
		}
		return int(binary.LittleEndian.Uint64(b)), nil
	case killModel:
		m, err := artifact.ReadManifestFile(path) // verifies the checksum
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(m.Notes["generation"])
	case killInvoices:
		t, err := datasets.OpenTable(context.Background(), path, []string{"invoice_id"})
		if err != nil {
			return 0, err
		}
		defer t.Close()
		gen, n := -1, 0
		for t.Next() {
			id, err := t.String(0)
			if err != nil {
				return 0, err
			}
			var g, i int
			if _, err := fmt.Sscanf(id, "g%d-%d", &g, &i); err != nil {
				return 0, fmt.Errorf("invoice_id %q: %v", id, err)
			}
			if gen < 0 {
				gen = g
			}
			if g != gen || i != n {
				return 0, fmt.Errorf("row %d is invoice %q; want g%d-%d", n+1, id, gen, n)
			}
			n++
		}
		if err := t.Err(); err != nil {
			return 0, err
		}
		if gen < 0 || n != killRows(gen) {
			return 0, fmt.Errorf("%d rows of generation %d; want %d", n, gen, killRows(gen))
		}
		return gen, nil
	default:
		gen, n := -1, 0
		err := Read(path, func(r *Row) error {
			v, ok := strings.CutPrefix(r.ModelVersion, "g")
			g, err := strconv.Atoi(v)
			if !ok || err != nil {
				return fmt.Errorf("row %d: model_version %q is not a generation", n+1, r.ModelVersion)
			}
			if gen < 0 {
				gen = g
			}
			if g != gen || r.CustomerID != fmt.Sprintf("C%08d", n) {
				return fmt.Errorf("row %d is %s of %s; want C%08d of g%d", n+1, r.CustomerID, r.ModelVersion, n, gen)
			}
			n++
			return nil
		})
		if err != nil {
			return 0, err
		}
		if gen < 0 || n != killRows(gen) {
			return 0, fmt.Errorf("%d rows of generation %d; want %d", n, gen, killRows(gen))
		}
		return gen, nil
	}
}
