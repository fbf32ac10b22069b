package artifact_test

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/credence-risk/credence/models/artifact"
)

// bigArtifact has a model of 200,000 weights, the size of a large
// boosted-tree ensemble's numbers.
func bigArtifact(b *testing.B) *artifact.Artifact {
	a := testArtifact(testSet(b), 1)
	m := a.Model.(*linear)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200_000 {
		m.Names = append(m.Names, "f"+strconv.Itoa(i))
		m.Weights = append(m.Weights, rng.NormFloat64())
	}
	return a
}

func BenchmarkWrite(b *testing.B) {
	a := bigArtifact(b)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := artifact.Write(&buf, a); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkRead(b *testing.B) {
	var buf bytes.Buffer
	if err := artifact.Write(&buf, bigArtifact(b)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := artifact.Read(bytes.NewReader(buf.Bytes()), testDecoders, decodePlatt); err != nil {
			b.Fatal(err)
		}
	}
}
