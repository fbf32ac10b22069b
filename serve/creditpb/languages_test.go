package creditpb

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets/testenv"
)

// TestOtherLanguagesGenerate runs protoc's own generators for Java, C#,
// C++, PHP, Ruby and Objective-C over the API and the googleapis files it
// imports, from this directory alone, and checks that the package options
// put the code where each language expects it. (Python is generated and
// called in serve's TestPythonClient.)
func TestOtherLanguagesGenerate(t *testing.T) {
	protoc := testenv.Tool(t, "protoc", "apt-get install protobuf-compiler")
	out := t.TempDir()
	langs := []string{"java", "csharp", "cpp", "php", "ruby", "objc"}
	args := []string{"-I", "."}
	for _, l := range langs {
		dir := filepath.Join(out, l)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--"+l+"_out="+dir)
	}
	args = append(args, protoFile, "google/type/date.proto", "google/rpc/status.proto", "google/rpc/error_details.proto")
	if b, err := exec.Command(protoc, args...).CombinedOutput(); err != nil {
		t.Fatalf("protoc %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	for _, want := range []string{
		"java/com/credencerisk/credence/v1/ScoreRequest.java", // java_package, java_multiple_files
		"java/com/credencerisk/credence/v1/CredenceProto.java",
		"java/com/google/type/Date.java",
		"csharp/Credence.cs",
		"cpp/credence/v1/credence.pb.h",
		"php/Credence/V1/ScoreRequest.php", // php_namespace
		"ruby/credence/v1/credence_pb.rb",
		"objc/credence/v1/Credence.pbobjc.h",
	} {
		if _, err := os.Stat(filepath.Join(out, want)); err != nil {
			t.Errorf("protoc did not write %s: %v", want, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "csharp/Credence.cs")); err == nil && !strings.Contains(string(b), "namespace Credence.V1") {
		t.Errorf("C# code is not in namespace Credence.V1")
	}
}
