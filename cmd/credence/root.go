package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/credence-risk/credence/models/report"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// envPrefix prefixes the environment variable of every setting:
// CREDENCE_RESCORE_OUT, or CREDENCE_REGISTRY for a shared one (see
// settings).
const envPrefix = "CREDENCE"

// app holds what every command shares: the configuration and the outputs.
type app struct {
	v              *viper.Viper
	settings       *settings      // the environment and config file, read by load
	cmd            *cobra.Command // the running command
	stdout, stderr io.Writer
	root           *cobra.Command
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	a := &app{v: viper.New(), stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "credence",
		Short: "Probability-of-default models and credit limits from a customer book",
		Long: "Probability-of-default models and credit limits from a customer book.\n\n" +
			"Settings: a flag, else CREDENCE_<COMMAND>_<NAME> (CREDENCE_RESCORE_OUT), else for a shared setting\n" +
			"CREDENCE_<NAME> (CREDENCE_REGISTRY), else the --config file's key under the command (rescore: {out: x}),\n" +
			"else for a shared setting its top-level key, else the default; credence config prints them.\n" +
			"Exit status: 0 ok, 1 failure, 2 a mistake in the command line, 3 a red validation.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.load(cmd)
		},
	}
	a.root = root
	defer strictArgs(root)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().String(configFlag, "", "YAML file of settings: shared keys at the top, a command's own under its name (rescore: {out: x}); default $CREDENCE_CONFIG")
	root.AddCommand(a.versionCmd(), a.configCmd(), a.bookCmd(), a.importCmd(), a.synthCmd(), a.featuresCmd(), a.sampleCmd(), a.trainCmd(), a.modelsCmd(), a.validateCmd(), a.rescoreCmd(), a.serveCmd(), a.storeCmd(), a.revalidateCmd(), a.scoreCmd(), a.limitCmd(), a.ingestCmd(), a.alertsCmd(), a.sweepCmd())
	return root
}

// load applies the environment and the config file to the running
// command's flags (see settings) and binds them, so that a value comes
// from the flag if set, else the environment, else the file, else the
// flag's default.
func (a *app) load(cmd *cobra.Command) error {
	a.cmd = cmd
	report.Version = version
	s, err := readSettings(a.root, cmd)
	if err != nil {
		return err
	}
	a.settings = s
	if err := s.apply(cmd, nil, func(msg string) { fmt.Fprintln(a.stderr, "credence:", msg) }); err != nil {
		return err
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != configFlag && f.Name != "help" {
			err = errors.Join(err, a.v.BindPFlag(f.Name, f))
		}
	})
	return err
}

// explicit reports whether a setting was given by flag, environment or
// config file rather than left at its default.
func (a *app) explicit(name string) bool {
	f := a.cmd.Flags().Lookup(name)
	return f != nil && f.Changed
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, s := range c.Commands() {
		walk(s, fn)
	}
}

func (a *app) versionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version and the Go version of the build",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			goVersion := runtime.Version()
			if bi, ok := debug.ReadBuildInfo(); ok {
				goVersion = bi.GoVersion
			}
			goVersion = strings.TrimPrefix(goVersion, "go")
			return a.result(map[string]string{"credence": version, "go": goVersion, "os": runtime.GOOS, "arch": runtime.GOARCH}, func() {
				fmt.Fprintf(a.stdout, "credence %s\ngo %s %s/%s\n", version, goVersion, runtime.GOOS, runtime.GOARCH)
			})
		},
	}
	jsonFlag(cmd)
	return cmd
}

// configCmd prints the effective value of every setting of a command (or of
// all commands) and where it came from, secrets masked.
func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config [COMMAND...]",
		Short: "Print the effective configuration (all commands, or one: credence config synth)",
		Long: "Print the effective value of every setting of every command, or of one command and its\n" +
			"subcommands, with where it came from: flag, environment (the variable), config (file and key)\n" +
			"or default. A value that its flag would refuse is an error naming its key and source.\n" +
			"Secrets (tokens) print as ******.",
		RunE: func(cmd *cobra.Command, args []string) error {
			// A fresh tree, so that applying the settings leaves this one alone.
			fresh := newRoot(a.stdout, a.stderr)
			target := fresh
			if len(args) > 0 {
				c, rest, err := fresh.Find(args)
				if err != nil || len(rest) > 0 {
					return usagef("config: no command %q", strings.Join(args, " "))
				}
				target = c
			}
			type setting struct {
				Value  string `json:"value"`
				Source string `json:"source"`
			}
			all := map[string]map[string]setting{}
			var errs []error
			var text strings.Builder
			walk(target, func(c *cobra.Command) {
				sources := map[string]string{}
				if err := a.settings.apply(c, sources, nil); err != nil {
					errs = append(errs, err)
					return
				}
				var lines []string
				c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
					if f.Name == "help" {
						return
					}
					val := f.Value.String()
					if secretNames[f.Name] && val != "" {
						val = "******"
					}
					if all[c.CommandPath()] == nil {
						all[c.CommandPath()] = map[string]setting{}
					}
					all[c.CommandPath()][f.Name] = setting{val, sources[f.Name]}
					if val == "" || strings.ContainsAny(val, ":#{}&!|>'\"%@`") {
						b, _ := json.Marshal(val)
						val = string(b)
					}
					lines = append(lines, fmt.Sprintf("%-44s # %s", f.Name+": "+val, sources[f.Name]))
				})
				if len(lines) > 0 {
					slices.Sort(lines)
					fmt.Fprintf(&text, "# %s\n%s\n", c.CommandPath(), strings.Join(lines, "\n"))
				}
			})
			if len(errs) > 0 {
				return errors.Join(errs...)
			}
			return a.result(all, func() { fmt.Fprint(a.stdout, text.String()) })
		},
	}
	jsonFlag(cmd)
	return cmd
}
