package creditpb

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets/testenv"
)

// bufVersion is the buf that lints the API; .ci/run installs this one. A
// newer buf may add rules, so another version is treated as missing.
const bufVersion = "1.75.0"

// TestBufLint runs buf lint with the STANDARD rules (buf.yaml) over the
// API. It skips when buf bufVersion is not installed (fails under
// CREDENCE_REQUIRE_ALL=1).
func TestBufLint(t *testing.T) {
	hint := "npm install --prefix ~/.cache/credence-buf @bufbuild/buf@" + bufVersion + " and put its node_modules/.bin on PATH"
	buf := testenv.Tool(t, "buf", hint)
	out, err := exec.Command(buf, "--version").Output()
	if got := strings.TrimSpace(string(out)); err != nil || got != bufVersion {
		testenv.Missing(t, "buf %s wanted, found %q at %s (%v); %s", bufVersion, got, buf, err, hint)
	}
	if b, err := exec.Command(buf, "lint").CombinedOutput(); err != nil {
		t.Errorf("buf lint: %v\n%s", err, b)
	}
}
