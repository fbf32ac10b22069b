// Command shapbench times Credence's exact SHAP contributions on trees that
// cmd/bench/shap/xgb.py exported from XGBoost, on the rows XGBoost timed its
// pred_contribs on, and checks the values against XGBoost's.
//
//	shapbench -dir DIR -trees T [-eval N -workers W -repeat R]
//
// It reads DIR/shape.json and DIR/X.f32 (gbdtbench gen), DIR/model-T.json,
// DIR/contribs-T.f64 and DIR/xgb.json, and prints one table row.
package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/credence-risk/credence/models/gbdt"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "shapbench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("shapbench", flag.ContinueOnError)
	dir := fs.String("dir", "", "data directory")
	trees := fs.Int("trees", 100, "model-T.json to read")
	eval := fs.Int("eval", 10000, "rows to explain: the first N")
	workers := fs.Int("workers", 2, "goroutines")
	repeat := fs.Int("repeat", 3, "timed runs; the best is kept")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-dir is required")
	}
	var shape struct{ Rows, Cols int }
	if err := readJSON(filepath.Join(*dir, "shape.json"), &shape); err != nil {
		return err
	}
	n, p := min(*eval, shape.Rows), shape.Cols
	X, err := readF32(filepath.Join(*dir, "X.f32"), n*p)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(*dir, fmt.Sprintf("model-%d.json", *trees)))
	if err != nil {
		return err
	}
	t0 := time.Now()
	mm, err := gbdt.Decode(raw)
	if err != nil {
		return err
	}
	load := time.Since(t0)
	m := mm.(*gbdt.Model)

	// Parity with XGBoost on the rows it wrote.
	want, err := readF64(filepath.Join(*dir, fmt.Sprintf("contribs-%d.f64", *trees)))
	if err != nil {
		return err
	}
	var worst float64
	phi := make([]float64, p+1)
	for i := range min(n, len(want)/(p+1)) {
		phi = m.Contributions(X[i*p:(i+1)*p], phi)
		for j, w := range want[i*(p+1) : (i+1)*(p+1)] {
			worst = max(worst, math.Abs(phi[j]-w))
		}
	}

	// timed runs fn over every row with the workers, best of repeat.
	timed := func(fn func(x, dst []float64)) time.Duration {
		best := time.Duration(math.MaxInt64)
		for range *repeat {
			t0 := time.Now()
			var wg sync.WaitGroup
			for w := range *workers {
				wg.Go(func() {
					dst := make([]float64, p+1)
					for i := w; i < n; i += *workers {
						fn(X[i*p:(i+1)*p], dst)
					}
				})
			}
			wg.Wait()
			best = min(best, time.Since(t0))
		}
		return best
	}
	contribs := timed(func(x, dst []float64) { m.Contributions(x, dst) })
	reasons := timed(func(x, _ []float64) { m.Reasons(x, 3) })
	// Tree by tree over blocks of rows: each worker takes contiguous
	// blocks of 256 rows.
	block := time.Duration(math.MaxInt64)
	for range *repeat {
		t0 := time.Now()
		var wg sync.WaitGroup
		for w := range *workers {
			wg.Go(func() {
				var dst []float64
				for lo := w * 256; lo < n; lo += *workers * 256 {
					hi := min(n, lo+256)
					dst = m.ContributionsBlock(X[lo*p:hi*p], dst)
				}
			})
		}
		wg.Wait()
		block = min(block, time.Since(t0))
	}

	var peer struct {
		Version string `json:"xgboost_version"`
		Runs    []struct {
			Trees    int     `json:"trees"`
			RowsPerS float64 `json:"rows_per_s"`
			Seconds  float64 `json:"seconds"`
		} `json:"runs"`
	}
	if err := readJSON(filepath.Join(*dir, "xgb.json"), &peer); err != nil {
		return err
	}
	peerRate := math.NaN()
	for _, r := range peer.Runs {
		if r.Trees == *trees {
			peerRate = r.RowsPerS
		}
	}
	rate := float64(n) / contribs.Seconds()
	blockRate := float64(n) / block.Seconds()
	fmt.Fprintf(stdout, "%d trees (depth %d), %d rows, %d workers: Credence contributions %.0f rows/s (%.1f µs a row a worker), "+
		"by blocks of rows %.0f rows/s, top-3 reasons %.0f rows/s; XGBoost %s pred_contribs %.0f rows/s; ratio %.1f× (%.1f× by blocks); "+
		"max |Credence − XGBoost| %.3g; model decoded with its tables in %v\n",
		m.Trees(), m.Config().MaxDepth, n, *workers, rate, contribs.Seconds()*1e6*float64(*workers)/float64(n),
		blockRate, float64(n)/reasons.Seconds(), peer.Version, peerRate, rate/peerRate, blockRate/peerRate, worst, load.Round(time.Millisecond))
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// readF32 reads the first n little-endian float32 values of path.
func readF32(path string, n int) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 4*n)
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:])))
	}
	return out, nil
}

// readF64 reads every little-endian float64 of path.
func readF64(path string) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out, nil
}
