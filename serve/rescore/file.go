package rescore

import (
	"context"
	"fmt"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/scoring"
)

// File scores the book into path (.parquet, .csv or .csv.gz). The file
// appears only when every row is written: on error or cancellation
// nothing is left at path.
func File(ctx context.Context, book *datasets.Book, s *scoring.Scorer, cfg Config, path string) (*Summary, error) {
	w, err := Create(path)
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
	return sum, nil
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
