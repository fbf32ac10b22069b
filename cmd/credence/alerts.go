package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/credence-risk/credence/serve/creditpb"
)

func (a *app) alertsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts --addr HOST:PORT [--since CURSOR] [--json] [--follow]",
		Short: "List a live server's early warnings, oldest first; --follow waits for new ones",
		Long: "List the early warnings a live server raised after --since (default: all it keeps), one line each:\n" +
			"cursor, customer, kind, grade and PD before → after, cause and detail; --json writes one JSON object\n" +
			"per line. Without --follow the last cursor is printed at the end (on stderr with --json): pass it\n" +
			"as --since next time to see only newer alerts. --follow keeps the stream open until interrupted.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			follow, asJSON := a.v.GetBool("follow"), a.v.GetBool("json")
			timeout := a.v.GetDuration("timeout")
			if follow {
				timeout = 0
			}
			cursor := a.v.GetString("since")
			err := a.callFor(cmd.Context(), timeout, func(ctx context.Context, c creditpb.CredenceServiceClient) error {
				stream, err := c.WatchAlerts(ctx, &creditpb.WatchAlertsRequest{Cursor: cursor, Follow: follow})
				if err != nil {
					return err
				}
				for {
					al, err := stream.Recv()
					if errors.Is(err, io.EOF) {
						return nil
					}
					if err != nil {
						return err
					}
					cursor = al.GetAlert().GetCursor()
					if asJSON {
						b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(al.GetAlert())
						if err != nil {
							return err
						}
						fmt.Fprintf(a.stdout, "%s\n", b)
						continue
					}
					fmt.Fprintln(a.stdout, alertLine(al.GetAlert()))
				}
			})
			if follow && cmd.Context().Err() != nil {
				return nil // interrupted, as --follow ends
			}
			if err != nil {
				return err
			}
			if cursor == "" {
				cursor = "0"
			}
			if asJSON {
				fmt.Fprintf(a.stderr, "cursor %s\n", cursor)
			} else {
				fmt.Fprintf(a.stdout, "cursor %s\n", cursor)
			}
			return nil
		},
	}
	a.clientFlags(cmd)
	f := cmd.Flags()
	f.String("since", "", "cursor of the last alert seen (default: from the first alert kept)")
	f.Bool("follow", false, "keep listening and print new alerts as they are raised")
	return cmd
}

// alertLine is one alert for a credit manager: cursor, customer, kind,
// grade and PD before → after, cause, detail.
func alertLine(al *creditpb.Alert) string {
	before, after := al.GetBefore(), al.GetAfter()
	grade, pd := "-", "-"
	if before != nil {
		grade, pd = fmt.Sprint(before.GetGrade()), percent(before.GetPd())
	}
	cause := al.GetCause()
	if d := al.GetCauseDate(); d != nil {
		cause += " " + creditpb.DateString(d)
	}
	return fmt.Sprintf("%6s  %-10s  %-14s  grade %2s→%-2d  PD %7s→%-7s  %-27s  %s", al.GetCursor(), al.GetCustomerId(), al.GetKind(),
		grade, after.GetGrade(), pd, percent(after.GetPd()), cause, strings.TrimSpace(al.GetDetail()))
}

func (a *app) sweepCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sweep --addr HOST:PORT [--as-of DATE]",
		Short: "Ask a live server to look for invoices past 30, 60 or 90 days with no event to tell of them",
		Long: "Ask a live server to find every open invoice past an overdue threshold by --as-of (default: its\n" +
			"data date), re-score their customers and raise the alerts not raised yet. The server sweeps by\n" +
			"itself whenever its data date moves; this is for a day with no events, or after a restart.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asOf, err := a.dateFlag("as-of")
			if err != nil {
				return err
			}
			return a.call(cmd.Context(), func(ctx context.Context, c creditpb.CredenceServiceClient) error {
				resp, err := c.Sweep(ctx, &creditpb.SweepRequest{AsOf: asOf})
				if err != nil {
					return err
				}
				if a.v.GetBool("json") {
					return a.printJSON(resp)
				}
				fmt.Fprintf(a.stdout, "swept until %s: %d overdue invoices, %d alerts raised\n", creditpb.DateString(resp.GetSweptUntil()), resp.GetOverdue(), resp.GetAlerts())
				return nil
			})
		},
	}
	a.clientFlagsTimeout(cmd, time.Minute)
	cmd.Flags().String("as-of", "", "sweep up to this date, YYYY-MM-DD (default: the server's data date)")
	return cmd
}
