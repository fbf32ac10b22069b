package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/catalog"
)

func (a *app) modelsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "models", Short: "List, show, promote, roll back and export registered models"}
	list := &cobra.Command{
		Use:   "list --registry DIR",
		Short: "List the registry's versions with their labels and test AUC",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, err := a.openRegistry()
			if err != nil {
				return err
			}
			entries, err := reg.List()
			if err != nil {
				return err
			}
			if a.v.GetBool("json") {
				return a.writeJSON(entries)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tFAMILY\tCREATED\tTEST AUC\tFEATURES\tLABELS")
			for _, e := range entries {
				if e.Error != "" {
					fmt.Fprintf(tw, "%s\t-\t-\t-\t-\tunreadable: %s\n", e.Version, e.Error)
					continue
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", e.Version, e.Family, e.Created.Format("2006-01-02 15:04"),
					testAUC(e.Metrics), e.Features, strings.Join(e.Labels, ","))
			}
			return tw.Flush()
		},
	}
	list.Flags().String("registry", "", "model registry directory")
	jsonFlag(list)

	show := &cobra.Command{
		Use:   "show [VERSION|LABEL] --registry DIR",
		Short: "Show a model's metadata and metrics (default: the champion)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := a.openRegistry()
			if err != nil {
				return err
			}
			ref := "champion"
			if len(args) == 1 {
				ref = args[0]
			}
			v, err := reg.Resolve(ref)
			if err != nil {
				return err
			}
			m, err := artifact.ReadManifestFile(reg.Path(v, "model.json"))
			if err != nil {
				return err
			}
			return a.writeJSON(m)
		},
	}
	show.Flags().String("registry", "", "model registry directory")
	show.Flags().Bool("json", true, "print as JSON (always: the manifest is JSON)")

	promote := &cobra.Command{
		Use:   "promote VERSION --registry DIR",
		Short: "Label a version champion (it must load); the previous champion is kept for rollback",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := a.openRegistry()
			if err != nil {
				return err
			}
			err = reg.Promote(args[0], func(v string) error {
				_, err := catalog.Load(reg, v)
				return err
			})
			if err != nil {
				return err
			}
			v, _ := reg.ChampionVersion()
			return a.result(map[string]string{"champion": v}, func() { fmt.Fprintf(a.stdout, "champion is now %s\n", v) })
		},
	}
	promote.Flags().String("registry", "", "model registry directory")
	jsonFlag(promote)

	rollback := &cobra.Command{
		Use:   "rollback --registry DIR",
		Short: "Give the champion label back to the previous champion",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, err := a.openRegistry()
			if err != nil {
				return err
			}
			v, err := reg.Rollback()
			if err != nil {
				return err
			}
			return a.result(map[string]string{"champion": v}, func() { fmt.Fprintf(a.stdout, "champion is now %s\n", v) })
		},
	}
	rollback.Flags().String("registry", "", "model registry directory")
	jsonFlag(rollback)
	cmd.AddCommand(list, show, promote, rollback, a.exportCmd())
	return cmd
}

// testAUC reads the champion's test AUC from stored metrics.
func testAUC(metrics json.RawMessage) string {
	var m struct {
		Test struct {
			AUC *float64 `json:"AUC"`
		} `json:"test"`
	}
	if json.Unmarshal(metrics, &m) != nil || m.Test.AUC == nil {
		return "-"
	}
	return fmt.Sprintf("%.4f", *m.Test.AUC)
}
