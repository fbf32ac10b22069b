package artifact

import (
	"fmt"
	"os"

	"github.com/credence-risk/credence/datasets/atomicfile"
)

// WriteFile writes a to path atomically (see atomicfile), so that path
// holds either the old content or all of the new, even after a crash.
func WriteFile(path string, a *Artifact) error {
	b, err := encode(a)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, b); err != nil {
		return fmt.Errorf("write artifact: %w", err)
	}
	return nil
}

// ReadFile reads the artifact at path; see Read.
func ReadFile(path string, dec Decoders, cal CalibratorDecoder) (*Artifact, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := Read(f, dec, cal)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// ReadManifestFile reads the metadata of the artifact at path; see
// ReadManifest.
func ReadManifestFile(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := ReadManifest(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
