package main

import (
	"encoding/json"
	"math"

	"github.com/spf13/cobra"
)

// jsonFlag gives a command that prints a result its --json.
func jsonFlag(cmd *cobra.Command) {
	cmd.Flags().Bool("json", false, "print the result as one JSON document on stdout")
}

// result prints a command's result: v as JSON under --json, else text.
func (a *app) result(v any, text func()) error {
	if a.v.GetBool("json") {
		return a.writeJSON(v)
	}
	text()
	return nil
}

// writeJSON writes v as indented JSON on stdout.
func (a *app) writeJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// jsonNumber is x for JSON, null when it is not finite (a metric that could
// not be computed), which encoding/json refuses.
func jsonNumber(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}
