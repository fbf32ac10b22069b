// Command credence builds, validates and serves probability-of-default
// models from a customer book. Every setting comes from a flag, an
// environment variable (CREDENCE_<COMMAND>_<NAME>, or CREDENCE_<NAME> for a
// shared one) or a YAML file given with --config, in that order of
// precedence; `credence config` prints the effective values. It exits 0 on
// success, 1 on a failure, 2 on a mistake in the command line and 3 when a
// validation comes out red.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, errSilent) {
		fmt.Fprintln(os.Stderr, "credence:", err)
	}
	os.Exit(exitCode(err))
}

// errSilent is returned by commands that already reported their failure.
var errSilent = errors.New("failed")

// run executes the command line args; end-to-end tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	ctx, books := withOpenedBooks(ctx)
	defer books.report(stderr)
	return root.ExecuteContext(ctx)
}
