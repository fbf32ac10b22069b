package main

import (
	"context"
	"fmt"
	"io"
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
