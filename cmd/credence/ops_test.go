package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeRefusesOpenAddress checks that serve on every interface with
// neither TLS nor tokens stops before reading anything, naming --insecure.
func TestServeRefusesOpenAddress(t *testing.T) {
	dir := t.TempDir()
	out, err := credence(t, "serve", "--addr", "0.0.0.0:0", "--metrics-addr", "", "--registry", filepath.Join(dir, "registry"), "--book", filepath.Join(dir, "book"))
	if err == nil || !strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("serve on 0.0.0.0 without TLS or tokens: %v\n%s; want a refusal naming --insecure", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "registry")); !os.IsNotExist(err) {
		t.Errorf("the refused serve touched the registry: %v", err)
	}
}

// TestExitCodes checks that mistakes in the command line exit 2, with the
// nearest command suggested for a misspelt one, and failures 1.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"version"}, exitOK, ""},
		{[]string{"book", "chek", dir}, exitUsage, "did you mean check?"},
		{[]string{"models", "lst"}, exitUsage, "did you mean list?"},
		{[]string{"rescor"}, exitUsage, "did you mean rescore?"},
		{[]string{"nonsense"}, exitUsage, `unknown command "nonsense"`},
		{[]string{"book"}, exitUsage, "give one of its commands"},
		{[]string{"models", "list", "extra", "--registry", dir}, exitUsage, `unknown command "extra"`},
		{[]string{"synth", "--bogus"}, exitUsage, "unknown flag: --bogus"},
		{[]string{"synth", "--customers", "many"}, exitUsage, "--customers"},
		{[]string{"synth"}, exitUsage, "--out is required"},
		{[]string{"rescore", "--registry", dir, "--book", dir}, exitUsage, "--out is required"},
		{[]string{"rescore", "--registry", dir, "--book", dir, "--out", "x.txt"}, exitUsage, "--out"},
		{[]string{"config", "nonsense"}, exitUsage, "no command"},
		{[]string{"import", "nope", "--in", "x", "--out", "y"}, exitUsage, "uci-taiwan"},
		{[]string{"book", "check", filepath.Join(dir, "missing")}, exitFailure, "missing"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, err := credence(t, c.args...)
			if got := exitCode(err); got != c.code {
				t.Errorf("exit %d (%v); want %d\n%s", got, err, c.code, out)
			}
			if c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says)) {
				t.Errorf("error %v; want it to say %q", err, c.says)
			}
		})
	}
	if got := exitCode(errors.Join(errors.New("first"), redLightError{errors.New("red")})); got != exitRed {
		t.Errorf("a red light exits %d; want %d", got, exitRed)
	}
}

// TestReadOnlyCommandsCreateNothing checks that commands that only read a
// registry refuse a missing one, naming it, and leave no directory behind.
func TestReadOnlyCommandsCreateNothing(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "regsitry")
	book := filepath.Join(dir, "book")
	for _, args := range [][]string{
		{"models", "list", "--registry", missing},
		{"models", "show", "--registry", missing},
		{"models", "promote", "v0001", "--registry", missing},
		{"models", "rollback", "--registry", missing},
		{"validate", "--registry", missing, "--book", book},
		{"revalidate", "--registry", missing, "--book", book},
		{"rescore", "--registry", missing, "--book", book, "--out", filepath.Join(dir, "scores.csv")},
		{"serve", "--registry", missing, "--book", book, "--metrics-addr", "", "--addr", "127.0.0.1:0"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			_, err := credence(t, args...)
			if err == nil || !strings.Contains(err.Error(), missing) {
				t.Errorf("err = %v; want it to name %s", err, missing)
			}
			if _, err := os.Stat(missing); !os.IsNotExist(err) {
				t.Errorf("%s was created (stat: %v)", missing, err)
			}
		})
	}
	notRegistry := filepath.Join(dir, "empty")
	if err := os.Mkdir(notRegistry, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := credence(t, "models", "list", "--registry", notRegistry); err == nil || !strings.Contains(err.Error(), "not a model registry") {
		t.Errorf("an empty directory as registry: %v; want not a model registry", err)
	}
	if _, err := os.Stat(filepath.Join(notRegistry, "versions")); !os.IsNotExist(err) {
		t.Errorf("models list made a registry in %s", notRegistry)
	}
}
