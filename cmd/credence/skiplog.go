package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/credence-risk/credence/datasets"
)

// openedBooks collects the books a command read, so that run prints what
// each left out (--tolerant) or read with a notice once the command ends,
// whether it succeeded or not.
type openedBooks struct {
	mu    sync.Mutex
	books []*datasets.Book
}

type openedBooksKey struct{}

func withOpenedBooks(ctx context.Context) (context.Context, *openedBooks) {
	o := &openedBooks{}
	return context.WithValue(ctx, openedBooksKey{}, o), o
}

// noteOpened records b in ctx's openedBooks, if any.
func noteOpened(ctx context.Context, b *datasets.Book) {
	if o, ok := ctx.Value(openedBooksKey{}).(*openedBooks); ok {
		o.mu.Lock()
		o.books = append(o.books, b)
		o.mu.Unlock()
	}
}

// report prints each book's skip log to w.
func (o *openedBooks) report(w io.Writer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, b := range o.books {
		if !b.Skipped.Empty() {
			fmt.Fprintf(w, "book %s: ", b.Dir)
			b.Skipped.WriteText(w)
		}
	}
}

// logSkips logs, for a long-running command, what reading b left out or
// read with a notice, one warning per reason with its first location.
func logSkips(log *slog.Logger, b *datasets.Book) {
	for _, r := range b.Skipped.Reasons() {
		msg := "book rows skipped"
		if r.Notice {
			msg = "book rows read with a notice"
		}
		first := ""
		if len(r.Examples) > 0 {
			first = r.Examples[0].Error
		}
		log.Warn(msg, "book", b.Dir, "reason", r.Reason, "rows", r.Rows, "first", first)
	}
}
