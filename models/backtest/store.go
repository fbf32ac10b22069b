package backtest

import (
	"bytes"
	"fmt"
)

// Registry is where a validation's report is kept: beside the model
// version it checked (models/registry satisfies it).
type Registry interface {
	AddFile(ref, name string, data []byte) error
}

// Store attaches the validation's report to its model version as
// validation-<time>.html and .json, and returns the reports' base name.
func (v *Validation) Store(reg Registry) (string, error) {
	if v.Report == nil {
		return "", fmt.Errorf("validation of %s has no report", v.Version)
	}
	name := "validation-" + v.CheckedAt.UTC().Format("20060102T150405Z")
	var html, js bytes.Buffer
	if err := v.Report.WriteHTML(&html); err != nil {
		return "", err
	}
	if err := v.Report.WriteJSON(&js); err != nil {
		return "", err
	}
	if err := reg.AddFile(v.Version, name+".html", html.Bytes()); err != nil {
		return "", err
	}
	return name, reg.AddFile(v.Version, name+".json", js.Bytes())
}
