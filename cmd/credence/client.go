package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/credence-risk/credence/models/numfmt"
	"github.com/credence-risk/credence/serve"
	"github.com/credence-risk/credence/serve/creditpb"
)

func (a *app) scoreCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "score --addr HOST:PORT --customer ID [--as-of DATE] [--json]",
		Short: "Ask a Credence server for a customer's PD, grade, score and reasons",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.v.GetString("customer") == "" {
				return usagef("--customer is required")
			}
			asOf, err := a.dateFlag("as-of")
			if err != nil {
				return err
			}
			return a.call(cmd.Context(), func(ctx context.Context, c creditpb.CredenceServiceClient) error {
				resp, err := c.Score(ctx, &creditpb.ScoreRequest{
					CustomerId:   a.v.GetString("customer"),
					AsOf:         asOf,
					ModelVersion: a.v.GetString("model"),
					MaxReasons:   a.v.GetInt32("max-reasons"),
				})
				if err != nil {
					return err
				}
				if a.v.GetBool("json") {
					return a.printJSON(resp)
				}
				a.printScore(resp)
				return nil
			})
		},
	}
	a.clientFlags(cmd)
	f := cmd.Flags()
	f.String("customer", "", "customer_id in the server's book")
	f.String("as-of", "", "scoring date, YYYY-MM-DD (default: the server's today)")
	f.String("model", "", "model version or label (default: the champion)")
	f.Int32("max-reasons", 3, "most reasons to return (0: the server's default)")
	return cmd
}

func (a *app) limitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "limit --addr HOST:PORT --customer ID --amount N [--terms DAYS] [--monthly-sales N] [--json]",
		Short: "Ask a Credence server for a credit-limit decision",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.v.GetString("customer") == "" {
				return usagef("--customer is required")
			}
			asOf, err := a.dateFlag("as-of")
			if err != nil {
				return err
			}
			req := &creditpb.RecommendLimitRequest{
				CustomerId:       a.v.GetString("customer"),
				AsOf:             asOf,
				ModelVersion:     a.v.GetString("model"),
				RequestedAmount:  a.v.GetFloat64("amount"),
				PaymentTermsDays: a.v.GetInt32("terms"),
				MaxReasons:       a.v.GetInt32("max-reasons"),
			}
			for name, field := range map[string]**float64{
				"monthly-sales":  &req.ExpectedMonthlySales,
				"unbilled":       &req.UnbilledOrders,
				"external-limit": &req.ExternalLimit,
			} {
				if a.explicit(name) {
					*field = proto.Float64(a.v.GetFloat64(name))
				}
			}
			return a.call(cmd.Context(), func(ctx context.Context, c creditpb.CredenceServiceClient) error {
				resp, err := c.RecommendLimit(ctx, req)
				if err != nil {
					return err
				}
				if a.v.GetBool("json") {
					return a.printJSON(resp)
				}
				a.printLimit(resp)
				return nil
			})
		},
	}
	a.clientFlags(cmd)
	f := cmd.Flags()
	f.String("customer", "", "customer_id in the server's book")
	f.Float64("amount", 0, "limit requested (0: what the policy allows)")
	f.Int32("terms", 0, "payment terms in days (0: the customer's usual terms from its invoices)")
	f.Float64("monthly-sales", 0, "expected sales in the peak month (unset: the largest month invoiced in the last twelve; 0: unknown)")
	f.Float64("unbilled", 0, "orders accepted, not yet invoiced")
	f.Float64("external-limit", 0, "insured or external limit (unset: none; 0: cover refused)")
	f.String("as-of", "", "decision date, YYYY-MM-DD (default: the server's today)")
	f.String("model", "", "model version or label (default: the champion)")
	f.Int32("max-reasons", 0, "most reasons to return (0: the server's default)")
	return cmd
}

// clientFlags are the connection settings of every client command.
func (a *app) clientFlags(cmd *cobra.Command) { a.clientFlagsTimeout(cmd, 10*time.Second) }

// clientFlagsTimeout are clientFlags with another default --timeout, for
// calls that stream.
func (a *app) clientFlagsTimeout(cmd *cobra.Command, timeout time.Duration) {
	f := cmd.Flags()
	f.String("addr", "127.0.0.1:50051", "server address, HOST:PORT")
	f.String("token", "", "bearer token")
	f.String("token-file", "", "file whose first token is sent")
	f.String("tls-ca", "", "PEM CA certificates the server's certificate is checked against (default: the system's)")
	f.String("client-cert", "", "PEM client certificate, for mutual TLS")
	f.String("client-key", "", "PEM client key, for mutual TLS")
	f.Bool("insecure", false, "plaintext, no TLS")
	f.Duration("timeout", timeout, "deadline of the call")
	f.Bool("json", false, "print the response as JSON")
}

// call dials the server and runs fn with a client under --timeout.
func (a *app) call(ctx context.Context, fn func(context.Context, creditpb.CredenceServiceClient) error) error {
	return a.callFor(ctx, a.v.GetDuration("timeout"), fn)
}

// callFor is call under a deadline of timeout (0: none, for a stream that
// follows).
func (a *app) callFor(ctx context.Context, timeout time.Duration, fn func(context.Context, creditpb.CredenceServiceClient) error) error {
	conn, err := a.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return fn(ctx, creditpb.NewCredenceServiceClient(conn))
}

func (a *app) dial() (*grpc.ClientConn, error) {
	plaintext := a.v.GetBool("insecure")
	var creds credentials.TransportCredentials
	if plaintext {
		creds = insecure.NewCredentials()
	} else {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if ca := a.v.GetString("tls-ca"); ca != "" {
			b, err := os.ReadFile(ca)
			if err != nil {
				return nil, fmt.Errorf("--tls-ca: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(b) {
				return nil, fmt.Errorf("--tls-ca: %s holds no PEM certificate", ca)
			}
		}
		if cert := a.v.GetString("client-cert"); cert != "" {
			pair, err := tls.LoadX509KeyPair(cert, a.v.GetString("client-key"))
			if err != nil {
				return nil, fmt.Errorf("--client-cert: %w", err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		creds = credentials.NewTLS(cfg)
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	token := a.v.GetString("token")
	if path := a.v.GetString("token-file"); path != "" && token == "" {
		ts, err := serve.ReadTokens(path)
		if err != nil {
			return nil, err
		}
		token = ts[0]
	}
	if token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{token: token, secure: !plaintext}))
	}
	return grpc.NewClient(a.v.GetString("addr"), opts...)
}

// bearer sends "authorization: Bearer TOKEN" with every call.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

// RequireTransportSecurity lets --insecure send a token, for a server on
// loopback or behind a TLS-terminating proxy.
func (b bearer) RequireTransportSecurity() bool { return b.secure }

// dateFlag reads a YYYY-MM-DD flag; unset gives nil.
func (a *app) dateFlag(name string) (*date.Date, error) {
	d, err := creditpb.ParseDate(a.v.GetString(name))
	if err != nil {
		return nil, usagef("--%s: %w", name, err)
	}
	return d, nil
}

func (a *app) printJSON(m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  ", UseProtoNames: true}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.stdout, "%s\n", b)
	return err
}

func (a *app) printScore(r *creditpb.ScoreResponse) {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "customer\t%s\n", r.CustomerId)
	fmt.Fprintf(tw, "as of\t%s\n", creditpb.DateString(r.AsOf))
	fmt.Fprintf(tw, "PD\t%s\n", percent(r.Pd))
	fmt.Fprintf(tw, "grade\t%d\n", r.Grade)
	fmt.Fprintf(tw, "score\t%.0f\n", r.Score)
	fmt.Fprintf(tw, "model\t%s\n", r.ModelVersion)
	tw.Flush()
	if len(r.Reasons) > 0 {
		fmt.Fprintln(a.stdout, "reasons:")
		for i, x := range r.Reasons {
			fmt.Fprintf(a.stdout, "  %d. %s (%s = %s, %+.3f log-odds)\n", i+1, x.Description, x.Feature, number(x.Value), x.Effect)
		}
	}
}

func (a *app) printLimit(r *creditpb.RecommendLimitResponse) {
	s := r.Scoring
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "customer\t%s, as of %s\n", s.CustomerId, creditpb.DateString(s.AsOf))
	fmt.Fprintf(tw, "decision\t%s\n", strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(r.Decision.String(), "DECISION_")), "_", " "))
	fmt.Fprintf(tw, "recommended limit\t%s\n", money(r.RecommendedLimit, r.CurrencyCode))
	fmt.Fprintf(tw, "policy limit\t%s\n", money(r.PolicyLimit, r.CurrencyCode))
	fmt.Fprintf(tw, "binding constraint\t%s\n", r.BindingConstraint)
	fmt.Fprintf(tw, "expected loss\t%s\n", money(r.ExpectedLoss, r.CurrencyCode))
	fmt.Fprintf(tw, "PD\t%s (grade %d, score %.0f, model %s)\n", percent(s.Pd), s.Grade, s.Score, s.ModelVersion)
	tw.Flush()
	fmt.Fprintf(a.stdout, "rationale: %s\n", r.Rationale)
	fmt.Fprintln(a.stdout, "constraints:")
	tw = tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	for _, c := range r.Constraints {
		mark := " "
		if c.Binding {
			mark = "*"
		}
		amount := "-"
		if c.Applies {
			amount = number(c.Amount)
		}
		fmt.Fprintf(tw, "  %s %s\t%s\t%s\n", mark, c.Name, amount, c.Detail)
	}
	tw.Flush()
	if len(s.Reasons) > 0 {
		fmt.Fprintln(a.stdout, "reasons:")
		for i, x := range s.Reasons {
			fmt.Fprintf(a.stdout, "  %d. %s\n", i+1, x.Description)
		}
	}
}

// money is an amount with its currency code, when known.
func money(x float64, currency string) string {
	if currency == "" {
		return number(x)
	}
	return number(x) + " " + currency
}

// percent writes a PD as a percentage with enough digits for small PDs.
func percent(pd float64) string {
	if pd > 0 && pd < 0.001 {
		return strconv.FormatFloat(100*pd, 'f', 3, 64) + "%"
	}
	return strconv.FormatFloat(100*pd, 'f', 2, 64) + "%"
}

// number writes an amount or a feature value readably: thousands
// separated, two decimals unless whole.
func number(x float64) string {
	if math.IsNaN(x) {
		return "unknown"
	}
	return numfmt.Amount(x)
}
