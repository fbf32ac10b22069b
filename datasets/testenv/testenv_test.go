package testenv_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets/testenv"
)

// TestMissing runs a test that lacks a tool in a child process, with and
// without the switch: it skips without and fails with.
func TestMissing(t *testing.T) {
	if os.Getenv("CREDENCE_TESTENV_CHILD") == "1" {
		testenv.Tool(t, "credence-no-such-tool", "nowhere")
		t.Fatal("Tool returned for a missing command")
	}
	for _, tc := range []struct {
		require string
		fails   bool
		want    string
	}{{"", false, "--- SKIP"}, {"1", true, "--- FAIL"}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissing$", "-test.v")
		cmd.Env = append(os.Environ(), "CREDENCE_TESTENV_CHILD=1", testenv.RequireAll+"="+tc.require)
		out, err := cmd.CombinedOutput()
		if (err != nil) != tc.fails || !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "credence-no-such-tool not installed") {
			t.Errorf("%s=%q: got error %v and\n%s\nwant %s", testenv.RequireAll, tc.require, err, out, tc.want)
		}
	}
}
