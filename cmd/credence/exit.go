package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses: a scheduler tells a crash from a mistyped command line
// and from a model that failed its back-test.
const (
	exitOK      = 0
	exitFailure = 1 // the command failed: bad data, I/O, a server error
	exitUsage   = 2 // the command line is wrong: unknown command or flag, bad value, missing argument
	exitRed     = 3 // validate or revalidate ran and the light is red
)

// usageError is a mistake in the command line; it exits with exitUsage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// redLightError is a validation that ran and came out red; it exits with
// exitRed.
type redLightError struct{ err error }

func (e redLightError) Error() string { return e.err.Error() }
func (e redLightError) Unwrap() error { return e.err }

// exitCode is the process's exit status for the error a command returned.
func exitCode(err error) int {
	var usage usageError
	var red redLightError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		return exitUsage
	case errors.As(err, &red):
		return exitRed
	default:
		return exitFailure
	}
}

// strictArgs makes every mistake in a command line a usage error: an
// unknown subcommand (with the nearest names), a command that needs a
// subcommand and got none, wrong arguments and bad flags.
func strictArgs(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(_ *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil {
				return usageError{err}
			}
			if len(rest) > 0 {
				return unknownSubcommand(target, rest)
			}
			return target.Help()
		},
	})
	walk(root, func(c *cobra.Command) {
		if c.HasSubCommands() {
			c.Args = unknownSubcommand
			if c.RunE == nil && c.Run == nil {
				c.RunE = func(cmd *cobra.Command, _ []string) error {
					cmd.SetOut(cmd.ErrOrStderr())
					cmd.Help()
					return usagef("%s: give one of its commands", cmd.CommandPath())
				}
			}
			return
		}
		if args := c.Args; args != nil {
			c.Args = func(cmd *cobra.Command, a []string) error {
				if err := args(cmd, a); err != nil {
					return usagef("%w (see %s --help)", err, cmd.CommandPath())
				}
				return nil
			}
		}
	})
}

// unknownSubcommand refuses arguments to a command that takes only
// subcommands: they name none of them.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageError{errors.New(msg + " (see " + cmd.CommandPath() + " --help)")}
}
