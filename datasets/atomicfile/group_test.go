package atomicfile_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets/atomicfile"
)

// writePair publishes content to both paths as one group.
func writePair(t *testing.T, a, b, content string) error {
	t.Helper()
	g, err := atomicfile.NewGroup(a)
	if err != nil {
		return err
	}
	for _, p := range []string{a, b} {
		f, err := g.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	return g.Commit()
}

func readOr(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return "(absent)"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hidden lists the names starting with a dot in dirs.
func hidden(t *testing.T, dirs ...string) []string {
	var out []string
	for _, d := range dirs {
		for _, n := range entries(t, d) {
			if strings.HasPrefix(n, ".") {
				out = append(out, n)
			}
		}
	}
	return out
}

func TestGroupPublishesTogether(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	a, b := filepath.Join(dir, "scores.csv"), filepath.Join(other, "scores.report.json")
	if err := writePair(t, a, b, "old"); err != nil {
		t.Fatal(err)
	}
	g, err := atomicfile.NewGroup(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{a, b} {
		f, err := g.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("new"))
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := readOr(t, p); got != "old" {
			t.Errorf("%s before the group's commit: got %q; want old", p, got)
		}
	}
	if err := g.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{a, b} {
		if got := readOr(t, p); got != "new" {
			t.Errorf("%s: got %q; want new", p, got)
		}
	}
	if h := hidden(t, dir, other); len(h) > 0 {
		t.Errorf("left behind: %q", h)
	}
}

// TestGroupNeedsEveryFileWritten checks that a file still being written
// (a report that failed) publishes nothing.
func TestGroupNeedsEveryFileWritten(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "scores.csv"), filepath.Join(dir, "scores.report.json")
	if err := writePair(t, a, b, "old"); err != nil {
		t.Fatal(err)
	}
	g, err := atomicfile.NewGroup(a)
	if err != nil {
		t.Fatal(err)
	}
	fa, _ := g.Create(a)
	fa.Write([]byte("new"))
	if err := fa.Commit(); err != nil {
		t.Fatal(err)
	}
	fb, _ := g.Create(b)
	fb.Write([]byte("half"))
	if err := g.Commit(); err == nil {
		t.Fatal("the group committed with a file still being written")
	}
	for _, p := range []string{a, b} {
		if got := readOr(t, p); got != "old" {
			t.Errorf("%s: got %q; want old", p, got)
		}
	}
	if h := hidden(t, dir); len(h) > 0 {
		t.Errorf("left behind: %q", h)
	}
}

// TestGroupRecoversFromCrash stops a publish at every point where a crash
// leaves a journal, and checks that Recover (as the next run's NewGroup
// calls it) gives back the old files, with a file that was new removed;
// on a file system with hard links and on one without.
func TestGroupRecoversFromCrash(t *testing.T) {
	for _, hardLinks := range []bool{true, false} {
		if !hardLinks {
			atomicfile.SetLink(func(string, string) error { return &os.LinkError{Op: "link", Err: syscall.EPERM} })
			defer atomicfile.SetLink(nil)
		}
		for _, stop := range []string{"journal", "rename 1", "rename 2", "rename 3"} {
			t.Run(stop+" "+map[bool]string{true: "hard links", false: "no hard links"}[hardLinks], func(t *testing.T) {
				testGroupCrash(t, stop)
			})
		}
		t.Run("no crash", func(t *testing.T) {
			dir := t.TempDir()
			a, b := filepath.Join(dir, "scores.csv"), filepath.Join(dir, "r.json")
			for _, content := range []string{"old", "new"} {
				if err := writePair(t, a, b, content); err != nil {
					t.Fatal(err)
				}
			}
			if got := readOr(t, a) + readOr(t, b); got != "newnew" {
				t.Errorf("got %q; want both new", got)
			}
			if h := hidden(t, dir); len(h) > 0 {
				t.Errorf("left behind: %q", h)
			}
		})
	}
}

func testGroupCrash(t *testing.T, stop string) {
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "scores.csv"), filepath.Join(dir, "r.html"), filepath.Join(dir, "r.json")}
	if err := writePair(t, paths[0], paths[1], "old"); err != nil { // r.json is new to the set
		t.Fatal(err)
	}
	renames := 0
	atomicfile.SetCrashHook(func(point string) bool {
		if point == "rename" {
			renames++
			return stop == "rename "+strconv.Itoa(renames)
		}
		return point == stop
	})
	defer atomicfile.SetCrashHook(nil)
	g, err := atomicfile.NewGroup(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		f, _ := g.Create(p)
		f.Write([]byte("new"))
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Commit(); err != atomicfile.ErrCrashed {
		t.Fatalf("Commit = %v; want the simulated crash", err)
	}
	atomicfile.SetCrashHook(nil)
	if _, err := os.Stat(atomicfile.JournalPath(paths[0])); err != nil {
		t.Fatalf("no journal after the crash: %v", err)
	}
	if _, err := atomicfile.NewGroup(paths[0]); err != nil { // the next run
		t.Fatal(err)
	}
	want := []string{"old", "old", "(absent)"}
	for i, p := range paths {
		if got := readOr(t, p); got != want[i] {
			t.Errorf("%s after recovery: got %q; want %s", filepath.Base(p), got, want[i])
		}
	}
	// What is left are the crashed writer's temporary files, which
	// RemoveStale leaves alone while their process (this one) runs.
	for _, h := range hidden(t, dir) {
		if !atomicfile.IsTemp(h) {
			t.Errorf("left behind after recovery: %s", h)
		}
	}
}

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if atomicfile.ProcessRunning(cmd.Process.Pid) {
		t.Skip("the exited process's id is in use again")
	}
	return cmd.Process.Pid
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	dead, me := strconv.Itoa(deadPID(t)), strconv.Itoa(os.Getpid())
	names := map[string]bool{ // name → removed
		".scores.csv.tmp-" + dead + "-123":     true,  // its writer is gone
		".scores.csv.tmp-" + dead + "-9.old":   true,  // a group's backup link
		".scores.csv.tmp-" + me + "-456":       false, // a writer still running
		".scores.csv.tmp-789":                  false, // no process id, recent
		".scores.csv.tmp-old":                  true,  // no process id, past StaleAge
		".scores.csv.gz.tmp-" + dead + "-1":    false, // another file's
		".other.csv.tmp-" + dead + "-1":        false, // another file's
		"scores.csv.tmp-" + dead + "-1":        false, // not hidden: the user's
		"scores.csv":                           false,
		".scores.csv.publish":                  false, // a journal is Recover's
		".scores.csv.tmp-" + dead + "-dir":     true,  // a directory
		".scores.csv.tmp-" + dead + "-dir/x":   true,
		".scores.csv.tmp-" + dead + "-dir/y.z": true,
	}
	for n := range names {
		if strings.HasSuffix(n, "-dir") {
			continue // made by the files in it
		}
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-atomicfile.StaleAge - time.Hour)
	if err := os.Chtimes(filepath.Join(dir, ".scores.csv.tmp-old"), old, old); err != nil {
		t.Fatal(err)
	}
	removed, err := atomicfile.RemoveStale(filepath.Join(dir, "scores.csv"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	want := []string{".scores.csv.tmp-" + dead + "-123", ".scores.csv.tmp-" + dead + "-9.old", ".scores.csv.tmp-" + dead + "-dir", ".scores.csv.tmp-old"}
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Errorf("removed %q; want %q", removed, want)
	}
	for n, gone := range names {
		_, err := os.Stat(filepath.Join(dir, n))
		if exists := err == nil; exists == gone {
			t.Errorf("%s: exists %v; want %v", n, exists, !gone)
		}
	}
	if _, err := atomicfile.RemoveStale(filepath.Join(dir, "missing", "scores.csv")); err != nil {
		t.Errorf("a missing directory: %v; want no error", err)
	}
}

// TestCreateRemovesStale checks that writing a file removes what killed
// writers of the same file left, and nothing else.
func TestCreateRemovesStale(t *testing.T) {
	dir := t.TempDir()
	dead := strconv.Itoa(deadPID(t))
	stale := filepath.Join(dir, atomicfile.TempPrefix("matrix.parquet")+dead+"-1")
	other := filepath.Join(dir, atomicfile.TempPrefix("other.parquet")+dead+"-1")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "matrix.parquet"), []byte("m")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale temporary file of matrix.parquet is still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file's temporary file was removed: %v", err)
	}
}
