// Command gbdtbench times Credence's gradient-boosted trees on a synthetic
// data set that cmd/bench/gbdt/compare.py also trains XGBoost on.
//
//	gbdtbench gen -dir DIR [-rows N -cols P -seed S]
//	gbdtbench fit -dir DIR [-trees T -depth D -lr R -workers W]
//
// gen writes DIR/X.f32 (rows × cols little-endian float32, row-major) and
// DIR/y.f32 (one 0/1 label per row) and DIR/shape.json; float32 so that
// numpy.fromfile reads exactly the values Go trains on. fit trains on them
// and prints one JSON line of timings.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/gbdt"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gbdtbench:", err)
		os.Exit(1)
	}
}

type shape struct {
	Rows int    `json:"rows"`
	Cols int    `json:"cols"`
	Seed uint64 `json:"seed"`
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: gbdtbench gen|fit -dir DIR [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	dir := fs.String("dir", "", "data directory")
	rows := fs.Int("rows", 1_000_000, "gen: rows")
	cols := fs.Int("cols", 50, "gen: features")
	seed := fs.Uint64("seed", 42, "gen: seed")
	trees := fs.Int("trees", 100, "fit: trees")
	depth := fs.Int("depth", 6, "fit: max depth")
	lr := fs.Float64("lr", 0.1, "fit: learning rate")
	workers := fs.Int("workers", 0, "fit: goroutines (0: GOMAXPROCS)")
	cpuprofile := fs.String("cpuprofile", "", "fit: write a CPU profile of training here")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-dir is required")
	}
	switch args[0] {
	case "gen":
		return gen(*dir, shape{Rows: *rows, Cols: *cols, Seed: *seed})
	case "fit":
		cfg := gbdt.DefaultConfig()
		cfg.Trees, cfg.MaxDepth, cfg.LearningRate, cfg.Workers = *trees, *depth, *lr, *workers
		return fit(ctx, *dir, cfg, *cpuprofile, stdout)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// gen writes a data set with a non-linear signal: interactions, a step, a
// periodic term, integer-coded features and 5% missing values in a few
// columns, where missingness itself raises the risk.
func gen(dir string, s shape) error {
	if s.Cols < 10 {
		return errors.New("gen: need at least 10 features")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(s.Seed, 1))
	xf, err := os.Create(filepath.Join(dir, "X.f32"))
	if err != nil {
		return err
	}
	defer xf.Close()
	yf, err := os.Create(filepath.Join(dir, "y.f32"))
	if err != nil {
		return err
	}
	defer yf.Close()
	xw, yw := bufio.NewWriterSize(xf, 1<<20), bufio.NewWriterSize(yf, 1<<20)
	row := make([]float32, s.Cols)
	for range s.Rows {
		for j := range row {
			switch {
			case j%10 == 7: // integer codes 0..9
				row[j] = float32(rng.IntN(10))
			case j%10 == 9 && rng.Float64() < 0.05:
				row[j] = float32(math.NaN())
			default:
				row[j] = float32(rng.NormFloat64())
			}
		}
		x := func(j int) float64 { return float64(row[j]) }
		z := -1.5 + 0.8*x(0) - 0.6*x(1) + 0.5*x(2)*x(3) + math.Sin(2*x(4)) + 0.7*step(x(5) > 0.5) + 0.15*x(7) - 0.4*math.Abs(x(8))
		if math.IsNaN(x(9)) {
			z += 1
		} else {
			z += 0.3 * x(9)
		}
		y := float32(0)
		if rng.Float64() < models.Sigmoid(z) {
			y = 1
		}
		if err := binary.Write(xw, binary.LittleEndian, row); err != nil {
			return err
		}
		if err := binary.Write(yw, binary.LittleEndian, y); err != nil {
			return err
		}
	}
	if err := errors.Join(xw.Flush(), yw.Flush()); err != nil {
		return err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "shape.json"), b, 0o644)
}

func step(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// load reads the data set gen wrote.
func load(dir string) (*models.Dataset, error) {
	b, err := os.ReadFile(filepath.Join(dir, "shape.json"))
	if err != nil {
		return nil, err
	}
	var s shape
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	names := make([]string, s.Cols)
	for j := range names {
		names[j] = fmt.Sprintf("f%02d", j)
	}
	d := &models.Dataset{X: models.NewMatrix(s.Rows, names), Y: make([]float64, s.Rows)}
	if err := readF32(filepath.Join(dir, "X.f32"), d.X.Data); err != nil {
		return nil, err
	}
	if err := readF32(filepath.Join(dir, "y.f32"), d.Y); err != nil {
		return nil, err
	}
	return d, nil
}

func readF32(path string, dst []float64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var buf [4]byte
	for i := range dst {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return fmt.Errorf("read %s: value %d: %w", path, i, err)
		}
		dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[:])))
	}
	return nil
}

func fit(ctx context.Context, dir string, cfg gbdt.Config, cpuprofile string, stdout io.Writer) error {
	d, err := load(dir)
	if err != nil {
		return err
	}
	runtime.GC()
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	start, cpu0 := time.Now(), cpuTime()
	m, err := gbdt.Trainer{Config: cfg}.Fit(ctx, d, nil)
	fitTime, fitCPU := time.Since(start), cpuTime()-cpu0
	if cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	// Prediction is quick enough to take the best of three runs, which
	// keeps a busy machine's noise out of the figure.
	pd := make([]float64, d.X.Rows)
	predictTime, predictCPU := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	for range 3 {
		start, cpu0 = time.Now(), cpuTime()
		m.PDs(d.X, pd)
		predictTime, predictCPU = min(predictTime, time.Since(start)), min(predictCPU, cpuTime()-cpu0)
	}
	var loss float64
	for i, p := range pd {
		if d.Y[i] == 1 {
			loss -= math.Log(p)
		} else {
			loss -= math.Log(1 - p)
		}
	}
	return json.NewEncoder(stdout).Encode(map[string]any{
		"impl":          "credence",
		"threads":       runtime.GOMAXPROCS(0),
		"fit_s":         fitTime.Seconds(),
		"fit_cpu_s":     fitCPU.Seconds(),
		"predict_s":     predictTime.Seconds(),
		"predict_cpu_s": predictCPU.Seconds(),
		"train_loss":    loss / float64(len(pd)),
		"trees":         m.(*gbdt.Model).Trees(),
	})
}

// cpuTime is the processor time the process has used, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
