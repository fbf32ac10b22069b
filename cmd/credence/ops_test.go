package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
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
		{[]string{"help", "models", "lst"}, exitUsage, "did you mean list?"},
		{[]string{"help", "models", "list"}, exitOK, ""},
		{[]string{"nonsense"}, exitUsage, `unknown command "nonsense"`},
		{[]string{"book"}, exitUsage, "give one of its commands"},
		{[]string{"models", "list", "extra", "--registry", dir}, exitUsage, `unknown command "extra"`},
		{[]string{"synth", "--bogus"}, exitUsage, "unknown flag: --bogus"},
		{[]string{"synth", "--customers", "many"}, exitUsage, "--customers"},
		{[]string{"synth"}, exitUsage, "--out is required"},
		{[]string{"rescore", "--registry", dir, "--book", dir}, exitUsage, "--out is required"},
		{[]string{"rescore", "--registry", dir, "--book", dir, "--out", "x.txt"}, exitUsage, "--out"},
		{[]string{"config", "nonsense"}, exitUsage, "no command"},
		{[]string{"score"}, exitUsage, "--customer is required"},
		{[]string{"limit", "--amount", "5"}, exitUsage, "--customer is required"},
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

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "credence.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// settingLine returns the line `credence config` prints for a setting of a
// command.
func settingLine(out, command, name string) string {
	section := ""
	for l := range strings.Lines(out) {
		l = strings.TrimSuffix(l, "\n")
		if strings.HasPrefix(l, "# ") {
			section = strings.TrimPrefix(l, "# ")
		} else if section == command && strings.HasPrefix(l, name+":") {
			return l
		}
	}
	return ""
}

// TestConfigKeysPerCommand checks that a command's own settings are keyed
// by the command, so that rescore's out is not synth's.
func TestConfigKeysPerCommand(t *testing.T) {
	cfg := writeConfig(t, "registry: reg\nrescore:\n  out: scores.parquet\nsynth:\n  out: book\n  delta:\n    out: delta\n")
	t.Setenv("CREDENCE_SERVE_ADDR", "127.0.0.1:6000")
	out, err := credence(t, "config", "--config", cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, c := range []struct{ command, name, want string }{
		{"credence rescore", "out", "out: scores.parquet"},
		{"credence rescore", "out", "# config " + cfg + " key rescore.out"},
		{"credence synth", "out", "out: book"},
		{"credence synth delta", "out", "out: delta"},
		{"credence features", "out", `out: ""`},
		{"credence rescore", "registry", "# config " + cfg + " key registry"},
		{"credence models list", "registry", "registry: reg"},
		{"credence serve", "addr", "# environment CREDENCE_SERVE_ADDR"},
		{"credence score", "addr", "# default"},
	} {
		if line := settingLine(out, c.command, c.name); !strings.Contains(line, c.want) {
			t.Errorf("%s --%s: %q; want %q", c.command, c.name, line, c.want)
		}
	}

	// CREDENCE_OUT names no command's out: it is not read, and says so.
	t.Setenv("CREDENCE_OUT", filepath.Join(t.TempDir(), "book"))
	out, err = credence(t, "synth")
	if exitCode(err) != exitUsage || !strings.Contains(out, "CREDENCE_OUT is not read") || !strings.Contains(out, "CREDENCE_SYNTH_OUT") {
		t.Errorf("synth with CREDENCE_OUT: %v\n%s; want --out required and a warning naming CREDENCE_SYNTH_OUT", err, out)
	}

	// A name that means different things at the top level is refused.
	flat := writeConfig(t, "out: scores.parquet\n")
	_, err = credence(t, "config", "--config", flat)
	if exitCode(err) != exitUsage || err == nil || !strings.Contains(err.Error(), `"out" means different things`) || !strings.Contains(err.Error(), "rescore") {
		t.Errorf("top-level out: %v; want a usage error naming the commands", err)
	}
	// So is an unknown key of a section.
	typo := writeConfig(t, "rescore:\n  outt: x\n")
	if _, err := credence(t, "config", "--config", typo); exitCode(err) != exitUsage || !strings.Contains(err.Error(), "rescore.outt") {
		t.Errorf("rescore.outt: %v; want a usage error naming it", err)
	}
}

// TestConfigValuesGoThroughFlagParser checks that a value from the
// environment or the file that the flag would refuse is an error naming
// its key and source, in the command itself and in `credence config`.
func TestConfigValuesGoThroughFlagParser(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, yaml, env, value string
		args                   []string
		says                   []string
	}{
		{name: "duration in the file", yaml: "serve:\n  reload-interval: 5\n", args: []string{"config", "serve"},
			says: []string{"key serve.reload-interval", `missing unit in duration "5"`}},
		{name: "duration in the environment", env: "CREDENCE_SERVE_RELOAD_INTERVAL", value: "5", args: []string{"config", "serve"},
			says: []string{"environment CREDENCE_SERVE_RELOAD_INTERVAL", `missing unit in duration "5"`}},
		{name: "integer in the file", yaml: "months: twelve\n", args: []string{"synth", "--out", filepath.Join(dir, "b")},
			says: []string{"key months", `"twelve"`}},
		{name: "boolean in the environment", env: "CREDENCE_TOLERANT", value: "maybe", args: []string{"features", "--book", dir, "--out", filepath.Join(dir, "f.csv")},
			says: []string{"environment CREDENCE_TOLERANT", `"maybe"`}},
		{name: "list in the file", yaml: "serve:\n  alert-overdue-days: [30, soon]\n", args: []string{"config", "serve"},
			says: []string{"key serve.alert-overdue-days", "soon"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if c.yaml != "" {
				args = append(args, "--config", writeConfig(t, c.yaml))
			}
			if c.env != "" {
				t.Setenv(c.env, c.value)
			}
			out, err := credence(t, args...)
			if exitCode(err) != exitUsage {
				t.Fatalf("exit %d (%v); want %d\n%s", exitCode(err), err, exitUsage, out)
			}
			for _, want := range c.says {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// TestConfigMasksSecrets checks that `credence config` never prints a token.
func TestConfigMasksSecrets(t *testing.T) {
	t.Setenv("CREDENCE_SERVE_TOKEN", "s3cret-from-env")
	cfg := writeConfig(t, "score:\n  token: s3cret-from-file\n")
	out, err := credence(t, "config", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("config printed a token:\n%s", out)
	}
	for _, c := range []string{"credence serve", "credence score"} {
		if line := settingLine(out, c, "token"); !strings.Contains(line, "token: ******") {
			t.Errorf("%s token: %q; want it masked", c, line)
		}
	}
}

// TestTrainSectionKeepsTrainingConfiguration checks that the train section
// holds both the train command's settings and the training configuration.
func TestTrainSectionKeepsTrainingConfiguration(t *testing.T) {
	cfg := writeConfig(t, "train:\n  families: [logistic]\n  seed: 3\n  valid_share: 0.25\n")
	out, err := credence(t, "config", "train", "--config", cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if line := settingLine(out, "credence train", "families"); !strings.Contains(line, "families: logistic") {
		t.Errorf("families: %q; want logistic from the train section", line)
	}
	bad := writeConfig(t, "train:\n  valid_shar: 0.25\n")
	if _, err := credence(t, "train", "--book", t.TempDir(), "--registry", filepath.Join(t.TempDir(), "r"), "--config", bad); err == nil || !strings.Contains(err.Error(), "valid_shar") {
		t.Errorf("a misspelt training setting: %v; want an error naming it", err)
	}
}

// TestPlainProgress checks that without a terminal a long job prints
// plain progress lines, without control characters.
func TestPlainProgress(t *testing.T) {
	defer func(d time.Duration) { plainEvery = d }(plainEvery)
	plainEvery = 0 // a line at every update
	var buf bytes.Buffer
	a := &app{stderr: &buf}
	p := a.newProgress("rescore", 200)
	p.Update(50, 0)
	p.Update(200, 0)
	p.Done()
	p.Done()
	want := "rescore: 50/200 (25%), 0s elapsed\nrescore: 200/200 (100%), 0s elapsed\nrescore: done in 0s\n"
	if buf.String() != want {
		t.Errorf("got %q; want %q", buf.String(), want)
	}

	// A whole command, its stderr a buffer as under a scheduler.
	out, err := credence(t, "synth", "--customers", "60", "--months", "8", "--out", filepath.Join(t.TempDir(), "book"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "synth: ") || !strings.Contains(out, "synth: done in") || strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("synth without a terminal printed:\n%q\nwant plain progress lines", out)
	}

	// Quiet when the job ends before the first line is due.
	plainEvery = time.Hour
	buf.Reset()
	p = a.newProgress("rescore", 200)
	p.Update(200, 0)
	p.Done()
	if buf.Len() != 0 {
		t.Errorf("a short job printed %q; want nothing", buf.String())
	}
}

// TestEveryResultHasJSON checks that every command that prints a result
// takes --json, and that a few print one JSON document with it.
func TestEveryResultHasJSON(t *testing.T) {
	noResult := map[string]string{
		"credence serve":     "a server: it logs JSON lines",
		"credence book sort": "writes a book; its summary is book check --json's",
	}
	walk(newRoot(io.Discard, io.Discard), func(c *cobra.Command) {
		if !c.Runnable() || c.HasSubCommands() || noResult[c.CommandPath()] != "" {
			return
		}
		if c.Flags().Lookup("json") == nil {
			t.Errorf("%s has no --json", c.CommandPath())
		}
	})
	dir := t.TempDir()
	for _, args := range [][]string{
		{"version", "--json"},
		{"config", "synth", "--json"},
		{"synth", "--customers", "40", "--months", "8", "--out", filepath.Join(dir, "book"), "--json"},
	} {
		var out, errOut bytes.Buffer
		if err := run(t.Context(), args, &out, &errOut); err != nil {
			t.Fatalf("%s: %v\n%s", args[0], err, errOut.String())
		}
		var v map[string]any
		if err := json.Unmarshal(out.Bytes(), &v); err != nil || len(v) == 0 {
			t.Errorf("%s --json printed %q: %v", args[0], out.String(), err)
		}
	}
}
