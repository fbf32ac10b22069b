package serve

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestServeDoesNotCompileTrainers checks that no package under serve/
// depends on a train package: the server back-tests and scores through
// models/, and a trainer compiled into it would be dead weight and a way
// for training code to reach production scoring.
func TestServeDoesNotCompileTrainers(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := exec.LookPath(goTool); err != nil {
			t.Skip("the go tool is not installed; cannot list serve's dependencies")
		}
	}
	const module = "github.com/credence-risk/credence"
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", module+"/serve/...").Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps ./serve/...: %v\n%s", err, stderr)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == module+"/train" || strings.HasPrefix(pkg, module+"/train/") {
			t.Errorf("a package under serve/ depends on %s; serve must reach observations, back-tests and reports through models/", pkg)
		}
	}
}
