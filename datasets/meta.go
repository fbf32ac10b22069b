package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/credence-risk/credence/datasets/atomicfile"
)

// MetaFile is the name of a book's optional description.
const MetaFile = "book.yaml"

// Meta is a book's book.yaml.
type Meta struct {
	Name     string `yaml:"name,omitempty"`
	Currency string `yaml:"currency,omitempty"`
	// ObservedUntil: outcomes are complete up to this date. NoDate means the
	// latest date in any table.
	ObservedUntil Date `yaml:"-"`
	// Horizon and DPDThreshold are optional hints for training on the book
	// (e.g. "1mo" for a book whose outcome is next month's default).
	Horizon      string `yaml:"horizon,omitempty"`
	DPDThreshold int    `yaml:"dpd_threshold,omitempty"`
}

type metaYAML struct {
	Meta          `yaml:",inline"`
	ObservedUntil string `yaml:"observed_until,omitempty"`
}

// ReadMeta reads dir/book.yaml. A missing file gives the zero Meta with
// ObservedUntil = NoDate.
func ReadMeta(dir string) (Meta, error) {
	path := filepath.Join(dir, MetaFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Meta{ObservedUntil: NoDate}, nil
	}
	if err != nil {
		return Meta{}, err
	}
	var m metaYAML
	if err := yaml.Unmarshal(b, &m); err != nil {
		return Meta{}, fmt.Errorf("%s: %w", path, err)
	}
	out := m.Meta
	out.ObservedUntil = NoDate
	if m.ObservedUntil != "" {
		d, err := ParseDate(m.ObservedUntil)
		if err != nil {
			return Meta{}, fmt.Errorf("%s: observed_until: %w", path, err)
		}
		out.ObservedUntil = d
	}
	return out, nil
}

// WriteMeta writes dir/book.yaml atomically.
func WriteMeta(dir string, m Meta) error {
	y := metaYAML{Meta: m}
	if m.ObservedUntil != NoDate && m.ObservedUntil != 0 {
		y.ObservedUntil = m.ObservedUntil.String()
	}
	b, err := yaml.Marshal(y)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, MetaFile), b)
}
