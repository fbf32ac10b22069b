package registry

import (
	"testing"
)

// BenchmarkChampionVersion is the poll a server makes, with a long label
// history.
func BenchmarkChampionVersion(b *testing.B) {
	r, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for i := range 2 {
		if _, err := r.Add(stubArtifact(float64(i+1) / 100)); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 1000 {
		if err := r.Promote(versionName(i%2 + 1)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ChampionVersion(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPromote measures a locked, synced label change.
func BenchmarkPromote(b *testing.B) {
	r, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for i := range 2 {
		if _, err := r.Add(stubArtifact(float64(i+1) / 100)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := r.Promote(versionName(i%2 + 1)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
