package creditpb

import (
	"bytes"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets/testenv"
	"github.com/credence-risk/credence/serve/limit"
)

// generated are the files go generate writes from protoFile.
var generated = []string{"credence.pb.go", "credence_grpc.pb.go"}

const (
	protoFile = "credence/v1/credence.proto"
	goPackage = "github.com/credence-risk/credence/serve/creditpb"
)

// TestGeneratedCodeIsFresh regenerates the code from protoFile, as
// check-generated.sh does, and fails when the committed files differ. It
// skips when protoc or a plugin is not installed (fails under
// CREDENCE_REQUIRE_ALL=1).
func TestGeneratedCodeIsFresh(t *testing.T) {
	tools := map[string]string{}
	for _, name := range []string{"protoc", "protoc-gen-go", "protoc-gen-go-grpc"} {
		path, err := lookTool(name)
		if err != nil {
			testenv.Missing(t, "%s not installed (apt-get install protobuf-compiler; go install the plugins): %v", name, err)
		}
		tools[name] = path
	}
	out := t.TempDir()
	cmd := exec.Command(tools["protoc"],
		"--plugin=protoc-gen-go="+tools["protoc-gen-go"],
		"--plugin=protoc-gen-go-grpc="+tools["protoc-gen-go-grpc"],
		"-I", ".",
		"--go_out="+out, "--go_opt=module="+goPackage,
		"--go-grpc_out="+out, "--go-grpc_opt=module="+goPackage,
		protoFile)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, b)
	}
	for _, name := range generated {
		committed, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(committed, fresh) {
			t.Errorf("%s is stale: run 'go generate ./serve/creditpb' and commit it (%s; committed %s; first difference: %s)",
				name, version(tools["protoc"]), versionsIn(committed), firstDifference(committed, fresh))
		}
	}
}

// lookTool finds a generator on PATH or where go install puts it.
func lookTool(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err == nil {
		return path, nil
	}
	dir := os.Getenv("GOBIN")
	if dir == "" {
		dir = filepath.Join(build.Default.GOPATH, "bin")
	}
	if p, err2 := exec.LookPath(filepath.Join(dir, name)); err2 == nil {
		return p, nil
	}
	return "", err
}

func version(protoc string) string {
	b, err := exec.Command(protoc, "--version").Output()
	if err != nil {
		return "protoc version unknown"
	}
	return "installed " + strings.TrimSpace(string(b))
}

// versionsIn returns the generator versions named in a generated header.
func versionsIn(src []byte) string {
	var v []string
	for line := range strings.Lines(string(src)) {
		if s := strings.TrimLeft(strings.TrimPrefix(line, "//"), " \t-"); strings.HasPrefix(s, "protoc") {
			v = append(v, strings.Join(strings.Fields(s), " "))
		}
	}
	return strings.Join(v, ", ")
}

func firstDifference(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d: committed %q, fresh %q", i+1, al[i], bl[i])
		}
	}
	return "one file is a prefix of the other"
}

// TestDecisionNames checks that every decision of the limit policy has an
// enum value of the same name, which is how the server maps one to the
// other.
func TestDecisionNames(t *testing.T) {
	for _, d := range []limit.Decision{limit.Approve, limit.ApproveInPart, limit.Decline, limit.Refer} {
		name := "DECISION_" + strings.ToUpper(string(d))
		if _, ok := Decision_value[name]; !ok {
			t.Errorf("limit decision %q: no enum value %s in credence.proto", d, name)
		}
	}
	if got, want := len(Decision_value), 5; got != want {
		t.Errorf("Decision values: got %d; want %d (unspecified and one per limit decision)", got, want)
	}
}
