// Package testenv gives tests the tools and shared data they need, or
// says why not: a test whose command-line tool (protoc, chromium, sqlite3,
// python3) or public dataset (../shared/data beside the repository root)
// is missing skips with the reason, and fails instead when the environment
// variable CREDENCE_REQUIRE_ALL is 1, so that a green run in CI means every
// such test ran.
package testenv

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireAll is the environment variable that turns a missing tool or
// dataset from a skip into a failure.
const RequireAll = "CREDENCE_REQUIRE_ALL"

// Required reports whether RequireAll is set to 1.
func Required() bool { return os.Getenv(RequireAll) == "1" }

// Missing ends the test for want of a tool or data: it skips with the
// reason, or fails when Required.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf(RequireAll+"=1 and "+format, args...)
	}
	t.Skipf(format, args...)
}

// Tool returns the path of the command name on PATH, or ends the test
// with Missing; hint says how to install it.
func Tool(t testing.TB, name, hint string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s not installed (%s): %v", name, hint, err)
	}
	return path
}

// RepoRoot returns the directory holding go.mod, above the test's
// working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// SharedData returns the path of rel (a file or folder) in the shared
// public datasets, ../shared/data beside the repository root, or ends the
// test with Missing when it is absent.
func SharedData(t testing.TB, rel string) string {
	t.Helper()
	path := filepath.Join(RepoRoot(t), "..", "shared", "data", rel)
	if _, err := os.Stat(path); err != nil {
		Missing(t, "shared data %s is absent: %v", rel, err)
	}
	return path
}

// CSVRecords reads every record of the CSV file at path, its header
// first, or fails the test.
func CSVRecords(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return recs
}
