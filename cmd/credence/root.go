package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/credence-risk/credence/models/report"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// envPrefix prefixes the environment variable of every setting:
// --default-rate is CREDENCE_DEFAULT_RATE.
const envPrefix = "CREDENCE"

// app holds what every command shares: the configuration and the outputs.
type app struct {
	v              *viper.Viper
	cmd            *cobra.Command // the running command
	stdout, stderr io.Writer
	root           *cobra.Command
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	a := &app{v: viper.New(), stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "credence",
		Short:         "Probability-of-default models and credit limits from a customer book",
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
	root.PersistentFlags().String("config", "", "YAML file of settings (keys are flag names)")
	root.AddCommand(a.versionCmd(), a.configCmd(), a.bookCmd(), a.importCmd(), a.synthCmd(), a.featuresCmd(), a.trainCmd(), a.modelsCmd(), a.validateCmd(), a.rescoreCmd(), a.serveCmd(), a.storeCmd(), a.revalidateCmd(), a.scoreCmd(), a.limitCmd(), a.ingestCmd(), a.alertsCmd(), a.sweepCmd())
	return root
}

// load reads the config file and binds the running command's flags, so a
// value comes from the flag if set, else CREDENCE_<NAME>, else the file,
// else the flag's default.
func (a *app) load(cmd *cobra.Command) error {
	a.cmd = cmd
	report.Version = version
	a.v.SetEnvPrefix(envPrefix)
	a.v.SetEnvKeyReplacer(strings.NewReplacer("-", "_", ".", "_"))
	a.v.AutomaticEnv()
	if path, _ := cmd.Flags().GetString("config"); path != "" {
		a.v.SetConfigFile(path)
		a.v.SetConfigType("yaml")
		if err := a.v.ReadInConfig(); err != nil {
			return fmt.Errorf("read config %s: %w", path, err)
		}
		known := map[string]bool{}
		walk(a.root, func(c *cobra.Command) {
			c.Flags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		})
		for _, k := range a.v.AllKeys() {
			if !known[k] && a.v.InConfig(k) && !strings.HasPrefix(k, "train.") {
				return fmt.Errorf("config %s: unknown setting %q", path, k)
			}
		}
	}
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "config" && f.Name != "help" {
			err = errors.Join(err, a.v.BindPFlag(f.Name, f))
		}
	})
	return err
}

// explicit reports whether a setting was given by flag, environment or
// config file rather than left at its default.
func (a *app) explicit(name string) bool {
	if f := a.cmd.Flags().Lookup(name); f != nil && f.Changed {
		return true
	}
	if _, ok := os.LookupEnv(envKey(name)); ok {
		return true
	}
	return a.v.InConfig(name)
}

func envKey(name string) string {
	return envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, s := range c.Commands() {
		walk(s, fn)
	}
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the Go version of the build",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			goVersion := runtime.Version()
			if bi, ok := debug.ReadBuildInfo(); ok {
				goVersion = bi.GoVersion
			}
			fmt.Fprintf(a.stdout, "credence %s\ngo %s %s/%s\n", version, strings.TrimPrefix(goVersion, "go"), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// configCmd prints the effective value of every setting of a command (or of
// all commands) and where it came from.
func (a *app) configCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "config [COMMAND...]",
		Short: "Print the effective configuration (all commands, or one: credence config synth)",
		RunE: func(cmd *cobra.Command, args []string) error {
			target := a.root
			if len(args) > 0 {
				c, rest, err := a.root.Find(args)
				if err != nil || len(rest) > 0 {
					return usagef("config: no command %q", strings.Join(args, " "))
				}
				target = c
			}
			walk(target, func(c *cobra.Command) {
				var lines []string
				c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
					if f.Name == "help" {
						return
					}
					val, src := any(f.Value.String()), "default"
					if a.v.InConfig(f.Name) {
						val, src = a.v.Get(f.Name), "file"
					}
					if env, ok := os.LookupEnv(envKey(f.Name)); ok {
						val, src = env, "env"
					}
					b, _ := yaml.Marshal(map[string]any{f.Name: val})
					lines = append(lines, fmt.Sprintf("%-44s # %s", strings.TrimSpace(string(b)), src))
				})
				if len(lines) > 0 {
					slices.Sort(lines)
					fmt.Fprintf(a.stdout, "# %s\n%s\n", c.CommandPath(), strings.Join(lines, "\n"))
				}
			})
			return nil
		},
	}
}
