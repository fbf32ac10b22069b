package limit

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// ReadPolicyFile reads a limit policy: the defaults, overridden by the keys
// of the YAML file at path (unknown keys refused); "" gives the defaults.
// The rescore commands, single-machine and pipeline, read --limit-policy
// through it.
func ReadPolicyFile(path string) (Policy, error) {
	p := DefaultPolicy()
	if path == "" {
		return p, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("--limit-policy: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && err != io.EOF {
		return p, fmt.Errorf("--limit-policy %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("--limit-policy %s: %w", path, err)
	}
	return p, nil
}
