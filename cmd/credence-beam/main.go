// Command credence-beam runs Credence's batch work as Apache Beam
// pipelines, for books too large for one machine: `credence-beam rescore`
// scores every customer of a book unit by unit (a part of the book, or a
// range of about --unit-customers customers of a part stored in many
// row groups; see datasets.Book.Units), with the same scorer,
// limit policy and output writer as `credence rescore`, and
// `credence-beam features` builds the labelled feature matrix over a plan
// of as-of dates as `credence features` does, and `credence-beam sample`
// the weighted training sample `credence sample` draws, on Prism
// in-process (the default) or on Flink, Spark or Dataflow through Beam's
// portable runners. It is its own Go module so that `credence` and the
// root module's tests do not carry the Beam SDK.
//
// Flags are Go flags: those of the subcommand (the single-machine
// command's) and Beam's own (--runner, --endpoint, --environment_type,
// --project, --region, --temp_location, ...). Started by a runner as a
// worker, the binary takes no subcommand and serves the pipeline.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/s3"
)

// version is set at build time (-ldflags -X main.version=...).
var version = "dev"

const usage = `credence-beam runs Credence's batch work as Apache Beam pipelines.

Usage:
  credence-beam rescore --registry DIR [--model VERSION] --book BOOK [--as-of DATE] --out DIR/scores.parquet [flags]
  credence-beam features --book BOOK [--plan-start DATE --plan-end DATE] --out DIR/features.parquet [flags]
  credence-beam sample --book BOOK --non-default-rate R [--seed N] --out DIR/sample.parquet [flags]

Each command splits the book into units of work, one shard each: its parts, and
a part stored in many row groups into ranges of about --unit-customers customers
(default 50000; 0: whole parts).

Every command takes Beam's flags too: --runner (prism, the default, in-process;
flink, spark or universal with --endpoint HOST:PORT of a job server; dataflow with
--project, --region and --temp_location), --environment_type and so on.
Run "credence-beam COMMAND -h" for the command's flags.
`

func main() {
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		cmd, args := os.Args[1], os.Args[2:]
		os.Exit(runCommand(context.Background(), cmd, args, os.Stdout, os.Stderr))
	}
	// A runner starts the binary as a worker, with Beam's flags only.
	flag.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	flag.Parse()
	beam.Init()
	fmt.Fprint(os.Stderr, usage)
	os.Exit(2)
}

// runCommand runs one subcommand. Its flag set holds the command's flags
// and Beam's, which stay registered on the process's flag set where Beam
// reads them.
func runCommand(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("credence-beam "+cmd, flag.ContinueOnError)
	flag.CommandLine.VisitAll(func(f *flag.Flag) { fs.Var(f.Value, f.Name, f.Usage) })
	var run func(context.Context, io.Writer) error
	switch cmd {
	case "rescore":
		run = rescoreFlags(fs).run
	case "features":
		run = featuresFlags(fs).run
	case "sample":
		run = sampleFlags(fs).run
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "credence-beam: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "credence-beam %s: unexpected arguments %q\n", cmd, fs.Args())
		return 2
	}
	beam.Init()
	if err := run(ctx, stdout); err != nil {
		fmt.Fprintf(stderr, "credence-beam %s: %v\n", cmd, err)
		return 1
	}
	return 0
}
