// Command live measures the live book (serve/store and the server's
// ingestion and alerts) on synthetic books:
//
//	live ingest  [-customers 20000] [-streams 4] [-batch 500] [-duration 15s]
//	    durable ingestion through gRPC IngestStream, events/s
//	live apply   [-customers 20000] [-appliers 4] [-batch 500] [-duration 15s]
//	    durable ingestion through store.Apply, events/s
//	live alert   [-customers 20000] [-rate 2000] [-probes 200]
//	    event-to-alert latency on a WatchAlerts follow stream, under background ingestion
//	live score   [-customers 20000] [-score-rate 1000] [-ingest-rate 10000] [-duration 20s]
//	    Score latency at a fixed rate while ingesting
//	live open    -customers 1000000
//	    loads the book into a store (time), its size on disk, and in a fresh process
//	    store.Open and the first Score answered
//	live rss     -customers 10000000 [-months 24] [-duration 30s]
//	    peak RSS (VmHWM) of a server process over the store while it scores and ingests
//
// Books, stores and the model are kept under -work and reused by later runs
// (a store once loaded is copied for the runs that change it). Each run
// prints its figure with the command line that reproduces it, the machine
// (nproc, memory) and the load average before and after.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/synth"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/serve"
	"github.com/credence-risk/credence/serve/creditpb"
	"github.com/credence-risk/credence/serve/store"
	"github.com/credence-risk/credence/train"
)

type options struct {
	work       string
	customers  int
	months     int
	seed       int64
	streams    int
	batch      int
	duration   time.Duration
	rate       int
	probes     int
	scoreRate  int
	ingestRate int
	store      string
	registry   string
	cpuprofile string
}

func main() {
	// As credence serve does: the server and its clients share this process.
	serve.SetGCPercent()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: live ingest|apply|alert|score|open|rss [flags]")
		os.Exit(2)
	}
	mode := os.Args[1]
	fl := flag.NewFlagSet(mode, flag.ExitOnError)
	var o options
	fl.StringVar(&o.work, "work", "out/bench-live", "directory for books, stores and the model (kept between runs)")
	fl.IntVar(&o.customers, "customers", 20000, "customers in the synthetic book")
	fl.IntVar(&o.months, "months", 24, "months of history in the synthetic book")
	fl.Int64Var(&o.seed, "seed", 1, "seed of the synthetic book")
	fl.IntVar(&o.streams, "streams", 4, "client streams (ingest) or Apply callers (apply)")
	fl.IntVar(&o.streams, "appliers", 4, "Apply callers (apply)")
	fl.IntVar(&o.batch, "batch", 500, "events per request")
	fl.DurationVar(&o.duration, "duration", 15*time.Second, "how long to run")
	fl.IntVar(&o.rate, "rate", 2000, "background events/s (alert)")
	fl.IntVar(&o.probes, "probes", 200, "alert-raising events to time (alert)")
	fl.IntVar(&o.scoreRate, "score-rate", 1000, "Score requests/s (score, rss)")
	fl.IntVar(&o.ingestRate, "ingest-rate", 10000, "background events/s (score, rss)")
	fl.StringVar(&o.store, "store", "", "store directory (serve-child)")
	fl.StringVar(&o.registry, "registry", "", "registry directory (serve-child)")
	fl.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the run to this file")
	fl.Parse(os.Args[2:])
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "live:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}

	ctx := context.Background()
	var err error
	switch mode {
	case "serve-child":
		err = serveChild(ctx, o)
	default:
		header(mode)
		switch mode {
		case "ingest":
			err = benchIngest(ctx, o)
		case "apply":
			err = benchApply(ctx, o)
		case "alert":
			err = benchAlert(ctx, o)
		case "score":
			err = benchScore(ctx, o)
		case "open":
			err = benchOpen(ctx, o)
		case "rss":
			err = benchRSS(ctx, o)
		default:
			err = fmt.Errorf("unknown benchmark %q", mode)
		}
		fmt.Printf("load after: %s\n", loadavg())
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "live:", err)
		os.Exit(1)
	}
}

// header prints the command, the machine and the load.
func header(mode string) {
	fmt.Printf("command: go run ./cmd/bench/live %s\n", strings.Join(os.Args[1:], " "))
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		mem = strings.Join(strings.Fields(strings.SplitN(string(b), "\n", 2)[0])[1:], " ")
	}
	fmt.Printf("machine: %d CPUs (nproc), MemTotal %s, %s; load before: %s\n", runtime.NumCPU(), mem, runtime.Version(), loadavg())
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// ---- fixtures: model, books, stores ----

// ensureModel trains a logistic model on a 2,000-customer book once and
// returns its registry.
func ensureModel(ctx context.Context, work string) (string, error) {
	dir := filepath.Join(work, "registry")
	if _, err := os.Stat(filepath.Join(dir, ".ready")); err == nil {
		return dir, nil
	}
	os.RemoveAll(dir)
	bookDir, _, err := ensureBook(ctx, work, 2000, 24, 9)
	if err != nil {
		return "", err
	}
	book, err := datasets.Open(bookDir)
	if err != nil {
		return "", err
	}
	tc := train.DefaultConfig()
	tc.Families = []string{"logistic"}
	tc.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
	res, err := train.Run(ctx, book, tc, nil)
	if err != nil {
		return "", fmt.Errorf("train: %w", err)
	}
	reg, err := registry.Open(dir)
	if err != nil {
		return "", err
	}
	v, err := reg.Add(res.Artifact)
	if err != nil {
		return "", err
	}
	if err := reg.Promote(v); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, ".ready"), nil, 0o644)
}

// ensureBook writes the synthetic book once; it returns how long that took
// (0 when it was there).
func ensureBook(ctx context.Context, work string, customers, months int, seed int64) (string, time.Duration, error) {
	dir := filepath.Join(work, fmt.Sprintf("book-%dx%d-s%d", customers, months, seed))
	if _, err := os.Stat(filepath.Join(dir, ".ready")); err == nil {
		return dir, 0, nil
	}
	os.RemoveAll(dir)
	cfg := synth.DefaultConfig()
	cfg.Customers, cfg.Months, cfg.Seed = customers, months, seed
	t0 := time.Now()
	if _, err := synth.Generate(ctx, cfg, dir, "", nil); err != nil {
		return "", 0, fmt.Errorf("synth: %w", err)
	}
	d := time.Since(t0)
	return dir, d, os.WriteFile(filepath.Join(dir, ".ready"), nil, 0o644)
}

// ensureStore loads the book into a store once; it returns how long the
// load took (0 when the store was there).
func ensureStore(ctx context.Context, o options) (string, time.Duration, error) {
	bookDir, gen, err := ensureBook(ctx, o.work, o.customers, o.months, o.seed)
	if err != nil {
		return "", 0, err
	}
	if gen > 0 {
		fmt.Printf("synth book %d customers × %d months: %.1f s\n", o.customers, o.months, gen.Seconds())
	}
	dir := filepath.Join(o.work, fmt.Sprintf("store-%dx%d-s%d", o.customers, o.months, o.seed))
	if _, err := os.Stat(filepath.Join(dir, "..", filepath.Base(dir)+".ready")); err == nil {
		return dir, 0, nil
	}
	os.RemoveAll(dir)
	book, err := datasets.Open(bookDir)
	if err != nil {
		return "", 0, err
	}
	t0 := time.Now()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		return "", 0, err
	}
	if err := st.Load(ctx, book, nil); err != nil {
		st.Close()
		return "", 0, err
	}
	if err := st.Close(); err != nil {
		return "", 0, err
	}
	d := time.Since(t0)
	return dir, d, os.WriteFile(dir+".ready", nil, 0o644)
}

// freshStore is a copy of the loaded store for a run that changes it.
func freshStore(ctx context.Context, o options) (string, error) {
	src, load, err := ensureStore(ctx, o)
	if err != nil {
		return "", err
	}
	if load > 0 {
		fmt.Printf("store load %d customers: %.1f s\n", o.customers, load.Seconds())
	}
	dst := filepath.Join(o.work, "run-store")
	os.RemoveAll(dst)
	return dst, copyDir(src, dst)
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(to)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// ---- a server in this process ----

type served struct {
	st     *store.Store
	conn   *grpc.ClientConn
	client creditpb.CredenceServiceClient
	stop   func()
}

// serveFreshStore serves the benchmark model from a fresh copy of the
// benchmark store: the setup of the ingest, alert and score benchmarks.
func serveFreshStore(ctx context.Context, o options) (*served, error) {
	regDir, err := ensureModel(ctx, o.work)
	if err != nil {
		return nil, err
	}
	dir, err := freshStore(ctx, o)
	if err != nil {
		return nil, err
	}
	return serveStore(ctx, dir, regDir)
}

// modelAndStore makes (or finds) the benchmark model and loaded store, and
// says what loading cost and what the store weighs.
func modelAndStore(ctx context.Context, o options) (regDir, dir string, err error) {
	if regDir, err = ensureModel(ctx, o.work); err != nil {
		return "", "", err
	}
	dir, load, err := ensureStore(ctx, o)
	if err != nil {
		return "", "", err
	}
	if load > 0 {
		fmt.Printf("store load %d customers × %d months: %.1f s\n", o.customers, o.months, load.Seconds())
	}
	fmt.Printf("store size on disk: %.0f MB (%s)\n", float64(dirSize(dir))/1e6, dir)
	return regDir, dir, nil
}

func serveStore(ctx context.Context, storeDir, regDir string) (*served, error) {
	st, err := store.Open(storeDir, store.Options{})
	if err != nil {
		return nil, err
	}
	reg, err := registry.Open(regDir)
	if err != nil {
		st.Close()
		return nil, err
	}
	cfg := serve.DefaultConfig()
	cfg.MetricsAddr = ""
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := serve.NewServer(cfg, reg, serve.NewLive(st))
	if err != nil {
		st.Close()
		return nil, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, lis) }()
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		cancel()
		<-done
		st.Close()
		return nil, err
	}
	s := &served{st: st, conn: conn, client: creditpb.NewCredenceServiceClient(conn)}
	s.stop = func() {
		conn.Close()
		cancel()
		<-done
		st.Close()
	}
	if err := waitServing(ctx, conn); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func waitServing(ctx context.Context, conn *grpc.ClientConn) error {
	hc := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "readiness"})
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return errors.New("the server did not become SERVING")
}

// ---- events ----

// eventMaker makes new invoices for random customers of the book, each
// with a new invoice id, dated within the book so that the data date stays.
type eventMaker struct {
	rng       *rand.Rand
	customers int
	prefix    string
	n         int
	d0        datasets.Date
}

func newEventMaker(seed uint64, customers int, prefix string, d0 datasets.Date) *eventMaker {
	return &eventMaker{rng: rand.New(rand.NewPCG(seed, 1)), customers: customers, prefix: prefix, d0: d0}
}

func customerID(i int) string { return fmt.Sprintf("C%08d", i) }

func (m *eventMaker) proto(n int) []*creditpb.Event {
	evs := make([]*creditpb.Event, n)
	for i := range evs {
		m.n++
		issue := m.d0 - datasets.Date(m.rng.IntN(20))
		evs[i] = &creditpb.Event{CustomerId: customerID(m.rng.IntN(m.customers)), Kind: &creditpb.Event_InvoiceIssued{
			InvoiceIssued: &creditpb.Invoice{InvoiceId: m.prefix + strconv.Itoa(m.n), IssueDate: creditpb.DateOf(issue),
				DueDate: creditpb.DateOf((issue + 30)), Amount: float64(100 + m.rng.IntN(10000))}}}
	}
	return evs
}

func (m *eventMaker) events(n int) []store.Event {
	evs := make([]store.Event, n)
	for i := range evs {
		m.n++
		issue := m.d0 - datasets.Date(m.rng.IntN(20))
		evs[i] = store.Event{Kind: store.InvoiceIssued, CustomerID: customerID(m.rng.IntN(m.customers)), Date: datasets.NoDate,
			Amount: datasets.NoAmount, Invoice: datasets.Invoice{InvoiceID: m.prefix + strconv.Itoa(m.n), IssueDate: issue, DueDate: issue + 30,
				Amount: datasets.Amount(10000 + m.rng.IntN(1000000)), PaidDate: datasets.NoDate, PaidAmount: datasets.NoAmount}}
	}
	return evs
}

// ---- benchmarks ----

// cpuClock measures the CPU time (user and system) this process spends.
type cpuClock struct{ start float64 }

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func startCPU() cpuClock { return cpuClock{cpuSeconds()} }

func (c cpuClock) since() float64 { return cpuSeconds() - c.start }

func benchIngest(ctx context.Context, o options) error {
	s, err := serveFreshStore(ctx, o)
	if err != nil {
		return err
	}
	defer s.stop()
	d0 := s.st.DataDate()
	var accepted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, o.streams)
	cpu := startCPU()
	t0 := time.Now()
	end := t0.Add(o.duration)
	for g := range o.streams {
		wg.Go(func() {
			m := newEventMaker(uint64(g), o.customers, fmt.Sprintf("B%d-", g), d0)
			stream, err := s.client.IngestStream(ctx)
			if err != nil {
				errs <- err
				return
			}
			for time.Now().Before(end) {
				if err := stream.Send(&creditpb.IngestStreamRequest{Events: m.proto(o.batch)}); err != nil {
					errs <- err
					return
				}
			}
			resp, err := stream.CloseAndRecv()
			if err != nil {
				errs <- err
				return
			}
			if resp.Refused > 0 {
				errs <- fmt.Errorf("%d refused: %v", resp.Refused, resp.Refusals[0])
				return
			}
			accepted.Add(resp.Accepted)
		})
	}
	wg.Wait()
	el := time.Since(t0)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	n := accepted.Load()
	fmt.Printf("ingest via gRPC IngestStream: %d streams × batches of %d, %d events accepted and synced in %.2f s: %.0f events/s (target ≥ 50,000), %.1f µs CPU per event (server and clients)\n",
		o.streams, o.batch, n, el.Seconds(), float64(n)/el.Seconds(), cpu.since()/float64(n)*1e6)
	return nil
}

func benchApply(ctx context.Context, o options) error {
	dir, err := freshStore(ctx, o)
	if err != nil {
		return err
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	d0 := st.DataDate()
	var accepted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, o.streams)
	cpu := startCPU()
	t0 := time.Now()
	end := t0.Add(o.duration)
	for g := range o.streams {
		wg.Go(func() {
			m := newEventMaker(uint64(g), o.customers, fmt.Sprintf("A%d-", g), d0)
			for time.Now().Before(end) {
				res, err := st.Apply(m.events(o.batch))
				if err != nil {
					errs <- err
					return
				}
				for _, x := range res.Outcomes {
					if x.Status != store.Accepted {
						errs <- fmt.Errorf("%v: %v", x.Status, x.Err)
						return
					}
				}
				accepted.Add(int64(len(res.Outcomes)))
			}
		})
	}
	wg.Wait()
	el := time.Since(t0)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	n := accepted.Load()
	fmt.Printf("ingest via store.Apply: %d callers × batches of %d, %d events synced in %.2f s: %.0f events/s, %.1f µs CPU per event\n",
		o.streams, o.batch, n, el.Seconds(), float64(n)/el.Seconds(), cpu.since()/float64(n)*1e6)
	return nil
}

// pace sends batches of events at rate events/s on one stream until ctx
// ends, and returns the events accepted.
func pace(ctx context.Context, client creditpb.CredenceServiceClient, m *eventMaker, rate int) (int64, error) {
	if rate <= 0 {
		<-ctx.Done()
		return 0, nil
	}
	stream, err := client.IngestStream(context.WithoutCancel(ctx))
	if err != nil {
		return 0, err
	}
	const tick = 10 * time.Millisecond
	per := max(1, rate/100)
	t := time.NewTicker(tick)
	defer t.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-t.C:
		}
		if err := stream.Send(&creditpb.IngestStreamRequest{Events: m.proto(per)}); err != nil {
			return 0, err
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return 0, err
	}
	return resp.Accepted, nil
}

func benchAlert(ctx context.Context, o options) error {
	s, err := serveFreshStore(ctx, o)
	if err != nil {
		return err
	}
	defer s.stop()
	d0 := s.st.DataDate()

	// The follower notes when each probe's alert arrives.
	var mu sync.Mutex
	arrived := map[string]time.Time{}
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watch, err := s.client.WatchAlerts(wctx, &creditpb.WatchAlertsRequest{Follow: true, Cursor: strconv.FormatUint(s.st.LastAlert(), 10)})
	if err != nil {
		return err
	}
	var alerts atomic.Int64
	go func() {
		for {
			resp, err := watch.Recv()
			if err != nil {
				return
			}
			alerts.Add(1)
			a := resp.GetAlert()
			if a.Kind == serve.AlertOverdue && strings.HasPrefix(a.InvoiceId, "PROBE-") {
				mu.Lock()
				arrived[a.InvoiceId] = time.Now()
				mu.Unlock()
			}
		}
	}()
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	bgDone := make(chan error, 1)
	var bgN int64
	go func() {
		var err error
		bgN, err = pace(bg, s.client, newEventMaker(7, o.customers, "BG-", d0), o.rate)
		bgDone <- err
	}()
	time.Sleep(time.Second)

	// Probes: an invoice 100 days past due, unpaid, for a random customer,
	// which must raise an overdue alert.
	rng := rand.New(rand.NewPCG(3, 4))
	sent := map[string]time.Time{}
	t0 := time.Now()
	for i := range o.probes {
		id := fmt.Sprintf("PROBE-%d", i)
		ev := &creditpb.Event{CustomerId: customerID(rng.IntN(o.customers)), Kind: &creditpb.Event_InvoiceIssued{InvoiceIssued: &creditpb.Invoice{
			InvoiceId: id, IssueDate: creditpb.DateOf((d0 - 130)), DueDate: creditpb.DateOf((d0 - 100)), Amount: 50000}}}
		sent[id] = time.Now()
		if _, err := s.client.Ingest(ctx, &creditpb.IngestRequest{Events: []*creditpb.Event{ev}}); err != nil {
			return err
		}
		time.Sleep(time.Duration(20+rng.IntN(30)) * time.Millisecond)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(arrived)
		mu.Unlock()
		if n == len(sent) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	el := time.Since(t0)
	stopBG()
	if err := <-bgDone; err != nil {
		return err
	}
	stopWatch()
	mu.Lock()
	defer mu.Unlock()
	var lat []time.Duration
	for id, t := range sent {
		if a, ok := arrived[id]; ok {
			lat = append(lat, a.Sub(t))
		}
	}
	if len(lat) < len(sent) {
		return fmt.Errorf("%d of %d probe alerts arrived", len(lat), len(sent))
	}
	p50, p99, pmax := quantiles(lat)
	fmt.Printf("event → alert on WatchAlerts (follow): %d probes, background %d events/s (%d events in %.1f s, %d alerts raised): p50 %s, p99 %s, max %s (target p99 ≤ 50 ms)\n",
		len(lat), o.rate, bgN, el.Seconds(), alerts.Load(), ms(p50), ms(p99), ms(pmax))
	return nil
}

func quantiles(d []time.Duration) (p50, p99, pmax time.Duration) {
	slices.Sort(d)
	q := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return q(0.50), q(0.99), d[len(d)-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// scoreAt calls Score at rate requests/s (each call in its own goroutine,
// so a slow answer does not delay the next) until ctx ends.
func scoreAt(ctx context.Context, client creditpb.CredenceServiceClient, customers, rate int) ([]time.Duration, int, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	rng := rand.New(rand.NewPCG(5, 6))
	interval := time.Second / time.Duration(rate)
	next := time.Now()
	for ctx.Err() == nil {
		next = next.Add(interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		id := customerID(rng.IntN(customers))
		wg.Go(func() {
			t0 := time.Now()
			_, err := client.Score(context.WithoutCancel(ctx), &creditpb.ScoreRequest{CustomerId: id})
			d := time.Since(t0)
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
				return
			}
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return lat, int(failed.Load()), err
	}
	return lat, 0, nil
}

func benchScore(ctx context.Context, o options) error {
	s, err := serveFreshStore(ctx, o)
	if err != nil {
		return err
	}
	defer s.stop()
	d0 := s.st.DataDate()
	run, stop := context.WithTimeout(ctx, o.duration)
	defer stop()
	bgDone := make(chan error, 1)
	var bgN int64
	go func() {
		var err error
		bgN, err = pace(run, s.client, newEventMaker(9, o.customers, "SB-", d0), o.ingestRate)
		bgDone <- err
	}()
	t0 := time.Now()
	lat, failed, err := scoreAt(run, s.client, o.customers, o.scoreRate)
	el := time.Since(t0)
	if err != nil {
		return fmt.Errorf("%d scores failed: %w", failed, err)
	}
	if err := <-bgDone; err != nil {
		return err
	}
	p50, p99, pmax := quantiles(lat)
	fmt.Printf("Score at %d/s while ingesting %d events/s (%.0f events/s achieved): %d scores in %.1f s, p50 %s, p99 %s, max %s (target p99 ≤ 5 ms)\n",
		o.scoreRate, o.ingestRate, float64(bgN)/el.Seconds(), len(lat), el.Seconds(), ms(p50), ms(p99), ms(pmax))
	return nil
}

// child is a server process over a store (this program's serve-child).
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
	addr  string
	lines []string
}

func startChild(o options, storeDir, regDir string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "serve-child", "-store", storeDir, "-registry", regDir, "-customers", strconv.Itoa(o.customers))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	for c.out.Scan() {
		l := c.out.Text()
		c.lines = append(c.lines, l)
		if a, ok := strings.CutPrefix(l, "addr "); ok {
			c.addr = a
			return c, nil
		}
	}
	cmd.Wait()
	return nil, fmt.Errorf("the server process ended: %s", strings.Join(c.lines, "; "))
}

// stop closes the child's stdin and returns the lines it printed.
func (c *child) stop() ([]string, error) {
	c.stdin.Close()
	for c.out.Scan() {
		c.lines = append(c.lines, c.out.Text())
	}
	return c.lines, c.cmd.Wait()
}

// serveChild opens the store, serves it, answers a first Score itself,
// prints its timings and address, and serves until stdin closes; then it
// prints its peak RSS.
func serveChild(ctx context.Context, o options) error {
	t0 := time.Now()
	st, err := store.Open(o.store, store.Options{})
	if err != nil {
		return err
	}
	opened := time.Since(t0)
	reg, err := registry.Open(o.registry)
	if err != nil {
		return err
	}
	cfg := serve.DefaultConfig()
	cfg.MetricsAddr = ""
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := serve.NewServer(cfg, reg, serve.NewLive(st))
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, lis) }()
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	client := creditpb.NewCredenceServiceClient(conn)
	id := customerID(o.customers / 2)
	for {
		if _, err := client.Score(ctx, &creditpb.ScoreRequest{CustomerId: id}); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	first := time.Since(t0)
	conn.Close()
	fmt.Printf("open %.3f s, first score %.3f s, customers %d, VmHWM after first score %s\n", opened.Seconds(), first.Seconds(), st.Meta().Customers, procStatus("VmHWM"))
	fmt.Printf("addr %s\n", lis.Addr())
	io.Copy(io.Discard, os.Stdin)
	cancel()
	err = <-done
	fmt.Printf("peak RSS VmHWM %s, VmRSS %s\n", procStatus("VmHWM"), procStatus("VmRSS"))
	return errors.Join(err, st.Close())
}

func procStatus(field string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// dropCaches asks the kernel to drop the page cache (root only), so that
// an open reads from disk; it reports whether it could.
func dropCaches() bool {
	syscall.Sync()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200) == nil
}

func benchOpen(ctx context.Context, o options) error {
	regDir, dir, err := modelAndStore(ctx, o)
	if err != nil {
		return err
	}
	for _, cold := range []bool{true, false} {
		what := "warm page cache"
		if cold {
			if !dropCaches() {
				fmt.Println("(cannot drop the page cache: not root; the cold run is skipped)")
				continue
			}
			what = "page cache dropped"
		}
		c, err := startChild(o, dir, regDir)
		if err != nil {
			return err
		}
		lines, err := c.stop()
		if err != nil {
			return err
		}
		fmt.Printf("server process, %s: %s\n", what, lines[0])
	}
	return nil
}

func benchRSS(ctx context.Context, o options) error {
	regDir, dir, err := modelAndStore(ctx, o)
	if err != nil {
		return err
	}
	// The events change the store: a copy keeps the loaded one for reruns
	// when it is small enough; a large one takes the events (new invoice
	// ids each run).
	c, err := startChild(o, dir, regDir)
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient("passthrough:///"+c.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	client := creditpb.NewCredenceServiceClient(conn)
	st, err := client.Score(ctx, &creditpb.ScoreRequest{CustomerId: customerID(0)})
	if err != nil {
		return err
	}
	d0, err := datasets.ParseDate(creditpb.DateString(st.DataDate))
	if err != nil {
		return err
	}
	run, stop := context.WithTimeout(ctx, o.duration)
	defer stop()
	bgDone := make(chan error, 1)
	var bgN int64
	go func() {
		var err error
		bgN, err = pace(run, client, newEventMaker(uint64(time.Now().UnixNano()), o.customers, fmt.Sprintf("RSS%d-", time.Now().Unix()), d0), o.ingestRate)
		bgDone <- err
	}()
	lat, failed, err := scoreAt(run, client, o.customers, o.scoreRate)
	if err != nil {
		return fmt.Errorf("%d scores failed: %w", failed, err)
	}
	if err := <-bgDone; err != nil {
		return err
	}
	conn.Close()
	lines, err := c.stop()
	if err != nil {
		return err
	}
	p50, p99, _ := quantiles(lat)
	fmt.Printf("server over %d customers × %d months: %s\n", o.customers, o.months, lines[0])
	fmt.Printf("  then %.0f s of Score at %d/s (p50 %s, p99 %s) while ingesting %d events: %s\n", o.duration.Seconds(), o.scoreRate, ms(p50), ms(p99), bgN, lines[len(lines)-1])
	return nil
}
