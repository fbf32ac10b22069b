// Package reporttest renders Credence's report pages in headless Chromium
// (Debian's chromium package) for tests, and checks what a reader sees:
// the sections are there and no value cell of a table is empty.
package reporttest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets/testenv"
)

// Render writes page to a file, loads it in headless Chromium and returns
// the DOM Chromium built. With CREDENCE_REPORT_SHOTS set to a directory,
// it also saves the page and a screenshot there (name.html, name.png), to
// look at.
func Render(t *testing.T, name string, page []byte) string {
	t.Helper()
	browser := testenv.Tool(t, "chromium", "apt-get install chromium")
	dir := t.TempDir()
	file := filepath.Join(dir, name+".html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--virtual-time-budget=2000"}
	dom := run(t, browser, append(args, "--dump-dom", "file://"+file)...)
	if shots := os.Getenv("CREDENCE_REPORT_SHOTS"); shots != "" {
		if err := os.WriteFile(filepath.Join(shots, name+".html"), page, 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, browser, append(args, "--screenshot="+filepath.Join(shots, name+".png"), "--window-size=1200,6000", "file://"+file)...)
	}
	return dom
}

func run(t *testing.T, browser string, args ...string) string {
	t.Helper()
	cmd := exec.Command(browser, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium: %v\n%s", err, errOut.String())
		}
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("chromium did not finish in 90 s")
	}
	return out.String()
}

var (
	emptyCell = regexp.MustCompile(`<td[^>]*>(\s|&nbsp;)*</td>`)
	section   = regexp.MustCompile(`<section id="([^"]+)"`)
)

// Check fails the test for each section id of want the DOM lacks and for
// each empty table cell, and returns the ids of the sections present.
func Check(t *testing.T, dom string, want ...string) []string {
	t.Helper()
	var have []string
	for _, m := range section.FindAllStringSubmatch(dom, -1) {
		have = append(have, m[1])
	}
	for _, id := range want {
		if !strings.Contains(dom, `<section id="`+id+`"`) {
			t.Errorf("rendered page lacks section %q; it has %v", id, have)
		}
	}
	if cells := emptyCell.FindAllString(dom, 5); len(cells) > 0 {
		t.Errorf("rendered page has empty value cells, e.g. %q", cells)
	}
	return have
}
