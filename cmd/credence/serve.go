package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/credence-risk/credence/serve"
	"github.com/credence-risk/credence/serve/creditpb"
)

func (a *app) serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve --registry DIR (--store DIR [--book BOOK] | --book BOOK) [--addr :50051]",
		Short: "Serve the champion model over gRPC: scores, credit limits, events, alerts, models and validation",
		Long: "Serve the credence.v1 gRPC API (with health checking and reflection) for the registry's champion,\n" +
			"reloading it when the champion changes. With --store the book is the live store on disk: it takes\n" +
			"payment events (Ingest), keeps scores fresh and raises early warnings (WatchAlerts); an empty store\n" +
			"is first loaded from --book, and a restart serves from the store without reading any book. Without\n" +
			"--store every history of --book is held in memory and no event is taken.\n" +
			"It listens on 127.0.0.1 unless --addr says otherwise, and refuses an address other than loopback\n" +
			"with neither TLS (--tls-cert, --tls-key) nor tokens (--token, --token-file) unless --insecure says so.\n" +
			"A champion that does not load is logged at ERROR and the newest version that loads serves instead\n" +
			"(the champion's earlier versions first), with metric credence_model_fallback set while it lasts.\n" +
			"Prometheus metrics are served on --metrics-addr at /metrics. Logs go to stderr, JSON lines or text\n" +
			"(--log-format); customer ids and PDs only at --log-level debug. Health: \"\" or \"liveness\" is\n" +
			"SERVING while the process runs, \"readiness\" once a model serves (Kubernetes gRPC probes).\n" +
			"SIGINT or SIGTERM drains: health checks turn NOT_SERVING, running calls finish (at most\n" +
			"--drain-timeout), then the server stops.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := a.logger()
			if err != nil {
				return err
			}
			cfg, err := a.serveConfig(log)
			if err != nil {
				return err
			}
			// Listen first, so that an address taken or refused fails before
			// the book is read.
			lis, err := net.Listen("tcp", a.v.GetString("addr"))
			if err != nil {
				return err
			}
			defer lis.Close()
			if err := cfg.CheckExposure(lis.Addr()); err != nil {
				return err
			}
			serve.SetGCPercent()
			reg, err := a.openRegistry()
			if err != nil {
				return err
			}
			var book serve.Book
			if dir := a.v.GetString("store"); dir != "" {
				st, err := a.openStore(cmd, log)
				if err != nil {
					return err
				}
				defer st.Close()
				book = serve.NewLive(st)
				log.Info("live store", "store", dir, "customers", book.Len(), "data_date", book.DataDate().String())
			} else {
				b, err := a.openBook()
				if err != nil {
					return err
				}
				idx, err := serve.LoadIndex(cmd.Context(), b)
				if err != nil {
					return err
				}
				log.Info("book in memory", "book", b.Dir, "customers", idx.Len(), "heap_mib", idx.Bytes>>20)
				b.Skipped.Log(log, b.Dir)
				book = idx
			}
			srv, err := serve.NewServer(cfg, reg, book)
			if err != nil {
				return err
			}
			return srv.Serve(cmd.Context(), lis)
		},
	}
	a.observationFlags(cmd)
	f := cmd.Flags()
	f.String("registry", "", "model registry directory")
	f.String("store", "", "live store directory (created when missing; an empty one is loaded from --book)")
	f.Int64("store-cache-mib", 128, "block cache of the live store in MiB: the store's memory, whatever the book's size")
	f.Int("alert-notches", serve.DefaultConfig().Alerts.GradeNotches, "alert when a customer's grade worsens by this many notches (-1: never)")
	f.Int("alert-watch-grade", serve.DefaultConfig().Alerts.WatchGrade, "alert when a customer enters this grade or a worse one (-1: never)")
	f.Float64("alert-pd-factor", serve.DefaultConfig().Alerts.PDFactor, "alert when a PD rises by this factor to 1% or more (below 1: never)")
	f.IntSlice("alert-overdue-days", serve.DefaultConfig().Alerts.OverdueDays, "alert when an invoice passes these days past due unpaid")
	f.String("addr", "127.0.0.1:50051", "gRPC listen address (e.g. :50051 for every interface, which needs TLS, tokens or --insecure)")
	f.String("metrics-addr", serve.DefaultConfig().MetricsAddr, "HTTP address of /metrics (empty: none)")
	f.Bool("insecure", false, "listen beyond loopback with neither TLS nor tokens: anyone who reaches the address can read scores")
	f.Bool("pprof", false, "also serve /debug/pprof/ on --metrics-addr")
	f.String("model", "champion", "model served: champion, a label (followed as it moves) or a version (pinned)")
	f.String("shadow", "", "label of a model scored beside the champion and logged, never returned (e.g. challenger)")
	f.Duration("reload-interval", serve.DefaultConfig().ReloadInterval, "how often the registry is polled for a new model")
	f.Duration("revalidate-every", 0, "back-test the served model this often, e.g. 24h (0: never)")
	f.String("revalidate-book", "", "book with matured outcomes for the back-test (default: --book, or the live store exported)")
	f.String("on-red", serve.OnRedAlert, "on a red back-test: alert (log and metric) or rollback (also roll the champion back)")
	f.Int("psi-window", serve.DefaultConfig().PSIWindow, "served PDs the live PSI is computed on")
	f.String("limit-policy", "", "YAML file of the credit-limit policy (default: the built-in policy)")
	f.Int("reasons", serve.DefaultConfig().Reasons, "reasons a score returns when the request does not say (max_reasons 0); 0: none unless asked")
	f.Int("limit-reasons", serve.DefaultConfig().LimitReasons, "reasons a limit decision returns when the request does not say")
	f.String("tls-cert", "", "PEM certificate of the server (with --tls-key: TLS)")
	f.String("tls-key", "", "PEM private key of the server")
	f.String("tls-client-ca", "", "PEM CA certificates of client certificates (mutual TLS)")
	f.String("token", "", "bearer token clients must send (health and reflection stay open)")
	f.String("token-file", "", "file of accepted bearer tokens, one per line")
	f.Int("max-msg-bytes", serve.DefaultConfig().MaxMsgBytes, "largest request or response in bytes")
	f.Duration("drain-timeout", serve.DefaultConfig().DrainTimeout, "how long shutdown waits for running calls")
	f.String("log-level", "info", "debug (a line per request, and customer data), info, warn or error")
	f.String("log-format", "json", "json (one object a line, for a log collector) or text (key=value, for people)")
	return cmd
}

// logger writes to stderr at --log-level, as JSON lines or text by
// --log-format.
func (a *app) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.v.GetString("log-level"))); err != nil {
		return nil, usagef("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format := a.v.GetString("log-format"); format {
	case "json":
		return slog.New(slog.NewJSONHandler(a.stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(a.stderr, opts)), nil
	default:
		return nil, usagef("--log-format: %q is not json or text", format)
	}
}

// serveConfig turns the settings into the server's configuration.
func (a *app) serveConfig(log *slog.Logger) (serve.Config, error) {
	cfg := serve.DefaultConfig()
	obs, err := a.observationConfig()
	if err != nil {
		return cfg, err
	}
	cfg.Logger = log
	cfg.Model = a.v.GetString("model")
	cfg.Shadow = a.v.GetString("shadow")
	cfg.ReloadInterval = a.v.GetDuration("reload-interval")
	cfg.RevalidateEvery = a.v.GetDuration("revalidate-every")
	cfg.RevalidateBook = a.v.GetString("revalidate-book")
	cfg.Observations = obs
	cfg.OnRed = a.v.GetString("on-red")
	cfg.PSIWindow = a.v.GetInt("psi-window")
	cfg.Reasons = a.v.GetInt("reasons")
	cfg.LimitReasons = a.v.GetInt("limit-reasons")
	cfg.MetricsAddr = a.v.GetString("metrics-addr")
	cfg.Pprof = a.v.GetBool("pprof")
	cfg.TLSCert = a.v.GetString("tls-cert")
	cfg.TLSKey = a.v.GetString("tls-key")
	cfg.TLSClientCA = a.v.GetString("tls-client-ca")
	cfg.MaxMsgBytes = a.v.GetInt("max-msg-bytes")
	cfg.Insecure = a.v.GetBool("insecure")
	cfg.DrainTimeout = a.v.GetDuration("drain-timeout")
	cfg.Alerts = serve.AlertConfig{
		GradeNotches: a.v.GetInt("alert-notches"),
		WatchGrade:   a.v.GetInt("alert-watch-grade"),
		PDFactor:     a.v.GetFloat64("alert-pd-factor"),
		PDFloor:      serve.DefaultConfig().Alerts.PDFloor,
		OverdueDays:  a.v.GetIntSlice("alert-overdue-days"),
	}
	if path := a.v.GetString("limit-policy"); path != "" {
		if cfg.Policy, err = serve.LoadPolicy(path); err != nil {
			return cfg, err
		}
	}
	if t := a.v.GetString("token"); t != "" {
		cfg.Tokens = append(cfg.Tokens, t)
	}
	if path := a.v.GetString("token-file"); path != "" {
		ts, err := serve.ReadTokens(path)
		if err != nil {
			return cfg, err
		}
		cfg.Tokens = append(cfg.Tokens, ts...)
	}
	return cfg, nil
}

func (a *app) revalidateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "revalidate --registry DIR --book BOOK [--model champion] [--on-red alert|rollback]",
		Short: "Back-test the champion once, store the report beside it and roll back on red if asked (for cron)",
		Long: "Run the server's periodic revalidation once: back-test a stored model (default: the champion) on a\n" +
			"book with matured outcomes, store validation-<time>.html and .json beside it in the registry, and\n" +
			"with --on-red rollback roll the champion back when the light is red. A running server picks up the\n" +
			"previous champion at its next poll, and serves the stored result from GetValidationStatus.\n" +
			"The exit status is 3 when the light is red (1 when the back-test fails), so that a scheduler can alert on it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, err := a.openRegistry()
			if err != nil {
				return err
			}
			book, err := a.openBook()
			if err != nil {
				return err
			}
			obs, err := a.observationConfig()
			if err != nil {
				return err
			}
			onRed := a.v.GetString("on-red")
			if onRed != serve.OnRedAlert && onRed != serve.OnRedRollback {
				return usagef("--on-red: %q is neither %s nor %s", onRed, serve.OnRedAlert, serve.OnRedRollback)
			}
			r, err := serve.Revalidate(cmd.Context(), reg, book, serve.RevalidateConfig{Model: a.v.GetString("model"), Observations: obs, OnRed: onRed})
			if r == nil {
				return err
			}
			if a.v.GetBool("json") {
				b, jerr := protojson.MarshalOptions{UseProtoNames: true}.Marshal(r.Status)
				if jerr != nil {
					return jerr
				}
				var out map[string]any
				if jerr := json.Unmarshal(b, &out); jerr != nil {
					return jerr
				}
				out["rolled_back_to"] = r.RolledBackTo
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if jerr := enc.Encode(out); jerr != nil {
					return jerr
				}
				return errors.Join(err, redErr(r))
			}
			st := r.Status
			fmt.Fprintf(a.stdout, "model %s on %s: %s\n", st.ModelVersion, book.Dir, strings.ToLower(strings.TrimPrefix(st.Light.String(), "LIGHT_")))
			for _, reason := range st.Reasons {
				fmt.Fprintf(a.stdout, "  %s\n", reason)
			}
			m := st.Metrics
			fmt.Fprintf(a.stdout, "AUC %.4f (at training %.4f), default rate %.3f%%, mean PD %.3f%%, score PSI %.4f\n",
				m["auc"], m["auc_initial"], 100*m["default_rate"], 100*m["mean_pd"], m["psi"])
			fmt.Fprintf(a.stdout, "report: %s\n", st.ReportPath)
			if r.RolledBackTo != "" {
				fmt.Fprintf(a.stdout, "champion rolled back from %s to %s\n", st.ModelVersion, r.RolledBackTo)
			}
			return errors.Join(err, redErr(r))
		},
	}
	a.observationFlags(cmd)
	f := cmd.Flags()
	f.String("registry", "", "model registry directory")
	f.String("model", "champion", "model version or label to back-test")
	f.String("on-red", serve.OnRedAlert, "on a red result: alert (report only) or rollback (roll the champion back)")
	f.Bool("json", false, "print the status as JSON")
	return cmd
}

// redErr fails the command on a red light, after its output.
func redErr(r *serve.Revalidation) error {
	if r.Status.Light == creditpb.Light_LIGHT_RED {
		return redLightError{fmt.Errorf("model %s: the validation light is red", r.Status.ModelVersion)}
	}
	return nil
}
