package artifact_test

import (
	"bytes"
	"testing"

	"github.com/credence-risk/credence/models/artifact"
)

// FuzzRead checks that Read never panics and that whatever it accepts it
// writes back to the same bytes.
func FuzzRead(f *testing.F) {
	set := testSet(f)
	full := encode(f, testArtifact(set, 1))
	f.Add(full)
	bare := testArtifact(set, 2)
	bare.FeatureSet, bare.Calibrator, bare.Notes = nil, nil, nil
	f.Add(encode(f, bare))
	f.Add(full[:100])
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := artifact.Read(bytes.NewReader(b), testDecoders, decodePlatt)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := artifact.Write(&out, a); err != nil {
			t.Fatalf("rewrite an accepted artifact: %v", err)
		}
		if !bytes.Equal(out.Bytes(), b) {
			t.Fatalf("rewriting an accepted artifact changed its bytes")
		}
	})
}
