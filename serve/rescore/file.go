package rescore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/atomicfile"
	"github.com/credence-risk/credence/models/scoring"
)

// File scores the book into path (.parquet, .csv or .csv.gz). The file
// appears only when every row is written: on error or cancellation
// nothing is left at path.
func File(ctx context.Context, book *datasets.Book, s *scoring.Scorer, cfg Config, path string) (*Summary, error) {
	return Publish(ctx, book, s, cfg, path, nil)
}

// Attachment is a file published with the scores, such as their report.
type Attachment struct {
	Path string
	Data []byte
}

// Publish scores the book into path and publishes the scores together with
// the files attach makes of the run's summary (the report): all appear, or
// none does and the earlier ones stay. An error from attach, a failed
// write or a cancellation leaves the earlier files as they were; so does a
// kill, once the next Publish to path has recovered what it left (see
// atomicfile.Group). Publish also removes the temporary files that killed
// runs left beside path and the attachments.
func Publish(ctx context.Context, book *datasets.Book, s *scoring.Scorer, cfg Config, path string,
	attach func(*Summary) ([]Attachment, error)) (*Summary, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	g, err := atomicfile.NewGroup(path)
	if err != nil {
		return nil, err
	}
	defer g.Abort()
	w, err := CreateIn(g, path)
	if err != nil {
		return nil, err
	}
	sum, err := Run(ctx, book, s, cfg, w)
	if err != nil {
		w.Abort()
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if attach != nil {
		files, err := attach(sum)
		if err != nil {
			return nil, err
		}
		for _, a := range files {
			if err := writeAttachment(g, a); err != nil {
				return nil, err
			}
		}
	}
	if err := g.Commit(); err != nil {
		return nil, err
	}
	return sum, nil
}

func writeAttachment(g *atomicfile.Group, a Attachment) error {
	if err := os.MkdirAll(filepath.Dir(a.Path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", a.Path, err)
	}
	f, err := g.Create(a.Path)
	if err != nil {
		return err
	}
	if _, err := f.Write(a.Data); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", a.Path, err)
	}
	return f.Commit()
}

// DefaultAsOf is the date a book is scored as of when none is given: the
// day after its observed_until, or after its latest date when book.yaml
// gives none. Features use facts dated strictly before as_of, so scoring
// as of that day sees everything the book knows. Finding the latest date
// reads the whole book once (in parallel); scanned reports whether it did.
func DefaultAsOf(ctx context.Context, book *datasets.Book, workers int) (asOf datasets.Date, scanned bool, err error) {
	if d := book.Meta.ObservedUntil; d != datasets.NoDate {
		return d + 1, false, nil
	}
	last := datasets.NoDate
	err = datasets.Scan(ctx, book, workers, func(hs []*datasets.History) (datasets.Date, error) {
		m := datasets.NoDate
		for _, h := range hs {
			m = max(m, h.LatestDate())
		}
		return m, nil
	}, func(m datasets.Date) error {
		last = max(last, m)
		return nil
	})
	if err != nil {
		return datasets.NoDate, true, fmt.Errorf("find the latest date of %s: %w", book.Dir, err)
	}
	if last == datasets.NoDate {
		return datasets.NoDate, true, fmt.Errorf("book %s has no dates to score as of", book.Dir)
	}
	return last + 1, true, nil
}
