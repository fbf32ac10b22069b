package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws a bar on stderr when stderr is a terminal; otherwise (a
// log file, a scheduler, CI) it prints a plain line every plainEvery, so a
// long job shows it is alive without control characters.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	total int
	start time.Time
	last  time.Time
	on    bool // a terminal: draw the bar
	plain int  // plain lines printed
	done  bool
}

// plainEvery is the interval of plain progress lines.
var plainEvery = 5 * time.Second

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (a *app) newProgress(label string, total int) *progress {
	now := time.Now()
	return &progress{w: a.stderr, label: label, total: total, start: now, last: now, on: isTerminal(a.stderr)}
}

// Update reports done units of the total; safe from several goroutines.
func (p *progress) Update(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if total > 0 {
		p.total = total
	}
	now := time.Now()
	if !p.on {
		if now.Sub(p.last) >= plainEvery {
			p.last = now
			p.plain++
			fmt.Fprintf(p.w, "%s: %s, %s elapsed\n", p.label, p.count(done), now.Sub(p.start).Round(time.Second))
		}
		return
	}
	if now.Sub(p.last) < 100*time.Millisecond && done < p.total {
		return
	}
	p.last = now
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%s %d %s  ", p.label, done, now.Sub(p.start).Round(time.Second))
		return
	}
	const width = 30
	frac := 0.0
	if p.total > 0 {
		frac = min(1, float64(done)/float64(p.total))
	}
	filled := int(frac * width)
	elapsed := now.Sub(p.start)
	eta := ""
	if frac > 0 && frac < 1 {
		eta = fmt.Sprintf(" eta %s", (time.Duration(float64(elapsed)/frac) - elapsed).Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d %s%s  ", p.label, strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		done, p.total, elapsed.Round(time.Second), eta)
}

// count says how far the job is: done of the total and its share when
// the total is known.
func (p *progress) count(done int) string {
	if p.total <= 0 {
		return fmt.Sprintf("%d done", done)
	}
	return fmt.Sprintf("%d/%d (%.0f%%)", done, p.total, 100*min(1, float64(done)/float64(p.total)))
}

// Done ends the bar's line or, when plain lines were printed, says how
// long the job took. A second Done does nothing.
func (p *progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	switch {
	case p.on:
		fmt.Fprintln(p.w)
	case p.plain > 0:
		fmt.Fprintf(p.w, "%s: done in %s\n", p.label, time.Since(p.start).Round(time.Second))
	}
}

// passes draws one bar per pass over a book (total customers when known,
// else 0) and returns the callback and a function that ends the last bar.
func (a *app) passes(total int64) (func(pass string, customers int64), func()) {
	var mu sync.Mutex
	var bar *progress
	current := ""
	update := func(pass string, n int64) {
		mu.Lock()
		defer mu.Unlock()
		if pass != current {
			if bar != nil {
				bar.Done()
			}
			bar, current = a.newProgress(pass, int(total)), pass
		}
		bar.Update(int(n), int(total))
	}
	done := func() {
		mu.Lock()
		defer mu.Unlock()
		if bar != nil {
			bar.Done()
			bar = nil
		}
	}
	return update, done
}
