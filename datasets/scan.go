package datasets

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
)

// Partitions splits the book into parts that can be read independently:
// when every table is stored as part files with the same names (as
// `credence synth` writes them), part k of each table holds the same
// customers, and each part is a book of its own. Otherwise the book is one
// partition. Scan checks that the parts' customer ranges do not overlap.
func (b *Book) Partitions() []*Book {
	var names []string
	for _, t := range AllTables {
		files := b.files[t]
		if len(files) == 0 {
			continue
		}
		var these []string
		for _, f := range files {
			if filepath.Base(filepath.Dir(f)) != string(t) {
				return []*Book{b} // a single file, not parts
			}
			these = append(these, partName(f))
		}
		if names == nil {
			names = these
		} else if !slices.Equal(names, these) {
			return []*Book{b}
		}
	}
	if len(names) < 2 {
		return []*Book{b}
	}
	parts := make([]*Book, len(names))
	for k := range names {
		p := *b
		p.part = true
		p.files = map[Table][]string{}
		for t, files := range b.files {
			p.files[t] = files[k : k+1]
		}
		parts[k] = &p
	}
	return parts
}

// partName is a part file's name without its format extension.
func partName(path string) string {
	base := filepath.Base(path)
	for _, ext := range tableExts {
		if s, ok := strings.CutSuffix(base, ext); ok {
			return s
		}
	}
	return base
}

// ScanChunk is how many customers Scan hands to work at a time.
const ScanChunk = 256

// Scan reads every history of the book and calls work on chunks of them on
// up to workers goroutines (0: one per core); emit receives the results in
// book order, one at a time. A partitioned book (see Partitions) is read
// by several readers at once; otherwise one reader feeds the workers.
func Scan[R any](ctx context.Context, b *Book, workers int, work func([]*History) (R, error), emit func(R) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if parts := b.Partitions(); len(parts) > 1 && workers > 1 {
		return scanPartitions(ctx, parts, workers, work, emit)
	}
	return scanPipeline(ctx, b, workers, work, emit)
}

// readChunk reads up to ScanChunk histories; nil at the end.
func readChunk(r *HistoryReader) ([]*History, error) {
	var hs []*History
	for len(hs) < ScanChunk {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	return hs, nil
}

// scanPipeline: one reader, workers building results, emitted in order.
func scanPipeline[R any](ctx context.Context, b *Book, workers int, work func([]*History) (R, error), emit func(R) error) error {
	type job struct {
		hs   []*History
		res  R
		err  error
		done chan struct{}
	}
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan *job, workers)
	ordered := make(chan *job, 2*workers)
	g.Go(func() error {
		defer close(jobs)
		defer close(ordered)
		r := b.Histories(ctx)
		defer r.Close()
		for {
			hs, err := readChunk(r)
			if err != nil {
				return err
			}
			if len(hs) == 0 {
				return nil
			}
			j := &job{hs: hs, done: make(chan struct{})}
			for _, ch := range []chan *job{ordered, jobs} {
				select {
				case ch <- j:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
	})
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			for j := range jobs {
				j.res, j.err = work(j.hs)
				close(j.done)
				if j.err != nil {
					return j.err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		for j := range ordered {
			select {
			case <-j.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			if j.err != nil {
				return j.err
			}
			if err := emit(j.res); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}

// scanPartitions: each worker reads and works through whole partitions;
// results wait in a per-partition queue until the emitter reaches them.
// A worker starts partition k only when fewer than 2·workers partitions
// are ahead of the emitter, which bounds what waits in memory.
func scanPartitions[R any](ctx context.Context, parts []*Book, workers int, work func([]*History) (R, error), emit func(R) error) error {
	type partResult struct {
		results     chan R
		first, last string
	}
	out := make([]*partResult, len(parts))
	for k := range out {
		out[k] = &partResult{results: make(chan R, 1<<12)}
	}
	g, ctx := errgroup.WithContext(ctx)
	next := make(chan int)
	admit := make(chan struct{}, 2*workers)
	g.Go(func() error {
		defer close(next)
		for k := range parts {
			select {
			case admit <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case next <- k:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			for k := range next {
				p := out[k]
				err := func() error {
					defer close(p.results)
					r := parts[k].Histories(ctx)
					defer r.Close()
					for {
						hs, err := readChunk(r)
						if err != nil {
							return err
						}
						if len(hs) == 0 {
							return nil
						}
						if p.first == "" {
							p.first = hs[0].CustomerID
						}
						p.last = hs[len(hs)-1].CustomerID
						res, err := work(hs)
						if err != nil {
							return err
						}
						select {
						case p.results <- res:
						case <-ctx.Done():
							return ctx.Err()
						}
					}
				}()
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		prevLast, prevPart := "", -1
		for k, p := range out {
			started := false
			for res := range p.results {
				if !started && prevPart >= 0 && CompareIDs(p.first, prevLast) <= 0 {
					return partitionOverlap(parts, prevPart, k)
				}
				started = true
				if err := emit(res); err != nil {
					return err
				}
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if p.last != "" {
				prevLast, prevPart = p.last, k
			}
			<-admit
		}
		return nil
	})
	return g.Wait()
}

func partitionOverlap(parts []*Book, a, b int) error {
	name := func(k int) string {
		for _, t := range AllTables {
			if f := parts[k].files[t]; len(f) > 0 {
				return partName(f[0])
			}
		}
		return fmt.Sprint(k)
	}
	return fmt.Errorf("book %s: part %s holds customers that sort before the end of part %s: %w",
		parts[a].Dir, name(b), name(a), ErrUnsorted)
}
