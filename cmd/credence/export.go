package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/credence-risk/credence/datasets/atomicfile"
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/scorecard"
)

// exportCmd writes a registered model in a form other systems run or
// read: a scorecard as one SQL query, any model as its JSON definition.
func (a *app) exportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export VERSION|LABEL --registry DIR --format sql|json --out FILE",
		Short: "Export a model: a scorecard as a SQL query, any model as its JSON definition",
		Long: "Export a registered model.\n\n" +
			"--format sql writes a scorecard as one SELECT over the table --table, which holds a column\n" +
			"per feature (NULL for a missing value); the query adds the column score, the scorecard's\n" +
			"points, equal to what Credence computes. Only scorecards export to SQL.\n" +
			"--format json writes the model's definition (any family): its version, family, features,\n" +
			"feature set, grade scale and the fitted model as the registry stores it.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, out, table := a.v.GetString("format"), a.v.GetString("out"), a.v.GetString("table")
			if out == "" {
				return usagef("--out is required")
			}
			if format != "sql" && format != "json" {
				return usagef("--format %q: want sql or json", format)
			}
			reg, err := a.openRegistry()
			if err != nil {
				return err
			}
			art, err := catalog.Load(reg, args[0])
			if err != nil {
				return err
			}
			var data []byte
			switch format {
			case "sql":
				data, err = scorecardSQL(art, table)
			case "json":
				data, err = modelDefinition(art)
			}
			if err != nil {
				return err
			}
			if err := atomicfile.WriteFile(out, data); err != nil {
				return err
			}
			res := struct {
				Version string `json:"version"`
				Family  string `json:"family"`
				Format  string `json:"format"`
				Out     string `json:"out"`
			}{art.Version, art.Model.Family(), format, out}
			return a.result(res, func() {
				fmt.Fprintf(a.stdout, "exported %s (%s) as %s to %s\n", res.Version, res.Family, res.Format, res.Out)
			})
		},
	}
	f := cmd.Flags()
	f.String("registry", "", "model registry directory")
	f.String("format", "json", "sql (scorecards only) or json")
	f.String("out", "", "file to write")
	f.String("table", "features", "sql: the table holding one column per feature")
	jsonFlag(cmd)
	return cmd
}

// scorecardSQL is a scorecard as a query that adds its points to every
// row of table, with a header saying what it reads and returns.
func scorecardSQL(art *artifact.Artifact, table string) ([]byte, error) {
	sc, ok := art.Model.(*scorecard.Model)
	if !ok {
		return nil, fmt.Errorf("model %s is a %s: only scorecards export to SQL (use --format json for its definition)", art.Version, art.Model.Family())
	}
	if table == "" {
		return nil, fmt.Errorf("--table is empty: the query needs the table of features")
	}
	s := sc.Scaling()
	var b strings.Builder
	fmt.Fprintf(&b, "-- Credence scorecard %s, exported by Credence %s.\n", art.Version, version)
	fmt.Fprintf(&b, "-- Adds the column score (points) to every row of %q, one column per feature, NULL where missing:\n", table)
	for _, v := range sc.Variables() {
		fmt.Fprintf(&b, "--   %s\n", v.Feature)
	}
	fmt.Fprintf(&b, "-- Points scale: %g points at good:bad odds %g:1, %g more points each time the odds double;\n", s.BaseScore, s.BaseOdds, s.PDO)
	b.WriteString("-- the uncalibrated PD is 1 / (1 + exp((score - offset) / factor))")
	fmt.Fprintf(&b, " with offset %s and factor %s.\n", exactNumber(s.Offset), exactNumber(s.Factor))
	if art.Calibrator != nil {
		b.WriteString("-- The PD Credence serves is then calibrated, which this query does not do.\n")
	}
	b.WriteString(sc.Query(table))
	return []byte(b.String()), nil
}

// modelDefinition is the model's JSON definition with what identifies it.
func modelDefinition(art *artifact.Artifact) ([]byte, error) {
	model, err := json.Marshal(art.Model)
	if err != nil {
		return nil, fmt.Errorf("encode model %s: %w", art.Version, err)
	}
	def := struct {
		Version    string          `json:"version"`
		Family     string          `json:"family"`
		Created    string          `json:"created"`
		Features   []string        `json:"features"`
		FeatureSet any             `json:"feature_set,omitempty"`
		Scale      json.RawMessage `json:"scale,omitempty"`
		Model      json.RawMessage `json:"model"`
	}{art.Version, art.Model.Family(), art.Created.UTC().Format("2006-01-02T15:04:05Z"), art.Model.Features(), art.FeatureSet, art.Scale, model}
	b, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode model %s: %w", art.Version, err)
	}
	return append(b, '\n'), nil
}

// exactNumber writes x in the fewest digits that read back as x.
func exactNumber(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
