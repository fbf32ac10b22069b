package atomicfile_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/credence-risk/credence/datasets/atomicfile"
)

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := atomicfile.WriteFile(filepath.Join(dir, "missing", "report.json"), nil); err == nil {
		t.Error("got no error writing into a missing directory")
	}
	for _, data := range [][]byte{[]byte("old"), []byte("new, longer content"), nil} {
		if err := atomicfile.WriteFile(path, data); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("got %q, %v; want %q", got, err, data)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := st.Mode().Perm(); perm != atomicfile.Perm {
			t.Errorf("got permissions %v; want %v", perm, os.FileMode(atomicfile.Perm))
		}
		if names := entries(t, filepath.Dir(path)); len(names) != 1 {
			t.Errorf("got files %q; want only report.json", names)
		}
	}
}

func TestAbortKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scores.csv")
	if err := atomicfile.WriteFile(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("half of the new")); err != nil {
		t.Fatal(err)
	}
	names := entries(t, dir)
	if len(names) != 2 || !atomicfile.IsTemp(names[0]) {
		t.Errorf("while writing got files %q; want a hidden temporary file beside scores.csv", names)
	}
	f.Abort()
	f.Abort() // a second Abort does nothing
	if got, err := os.ReadFile(path); string(got) != "old" || err != nil {
		t.Errorf("after Abort got %q, %v; want the old content", got, err)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("after Abort got files %q; want only scores.csv", names)
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("Write after Abort: got no error")
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort: got no error")
	}
}

func TestFailedCommitLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "target")
	// A non-empty directory cannot be replaced by a file.
	if err := os.MkdirAll(filepath.Join(path, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(path, []byte("data")); err == nil {
		t.Fatal("got no error replacing a directory")
	}
	if names := entries(t, dir); len(names) != 1 || names[0] != "target" {
		t.Errorf("got files %q; want only the untouched directory", names)
	}
}

func TestRenameDirectory(t *testing.T) {
	dir := t.TempDir()
	tmp, err := atomicfile.MkdirTemp(dir, "v0001")
	if err != nil {
		t.Fatal(err)
	}
	if !atomicfile.IsTemp(filepath.Base(tmp)) {
		t.Errorf("temporary directory %s is not recognised as temporary", tmp)
	}
	if st, err := os.Stat(tmp); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("got %v, %v; want a directory with permissions 0755", st, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(tmp, "model.json"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Rename(tmp, filepath.Join(dir, "v0001")); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "v0001", "model.json")); string(got) != "{}" || err != nil {
		t.Errorf("got %q, %v; want {}", got, err)
	}
}

func TestIsTemp(t *testing.T) {
	for name, want := range map[string]bool{
		".scores.parquet.tmp-123": true,
		".v0003.tmp-9":            true,
		".tmp-v0003-789":          true,
		"scores.parquet":          false,
		"scores.tmp-1":            false,
		".hidden":                 false,
	} {
		if got := atomicfile.IsTemp(name); got != want {
			t.Errorf("IsTemp(%q) = %v; want %v", name, got, want)
		}
	}
}

func ExampleCreate() {
	dir, _ := os.MkdirTemp("", "atomicfile")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "report.txt")

	f, err := atomicfile.Create(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Abort() // discards the file unless Commit ran
	fmt.Fprintln(f, "all rows written")
	if err := f.Commit(); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))
	// Output: all rows written
}
