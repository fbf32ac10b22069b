package datasets

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// SkipExamples is how many located examples a SkipLog keeps per reason.
const SkipExamples = 5

// SkipLog records what reading a book left out or read with a caveat: the
// rows a tolerant reader skipped and the values it read with a notice
// (timestamps read as their UTC date), counted per reason with the first
// examples located by file, row and column. Every reader of a book adds to
// the book's log; reading the same file (or range of customers of it, see
// Book.Range) twice does not count its rows twice, and the ranges of a
// file add up. It is safe for concurrent use, and a nil *SkipLog is empty.
type SkipLog struct {
	mu      sync.Mutex
	reasons map[string]*skipEntry
}

type skipEntry struct {
	notice bool
	// perFile counts per pass key (see passKey): a whole file, or the
	// range of customers of it that one reader saw.
	perFile  map[string]int64
	examples []*InputError
}

// passSep separates a file from the range of customers read of it in a
// pass key.
const passSep = "\x00"

// passKey names what one reader read of file: all of it, or the
// customers in ids. A second pass with the same key counts once.
func passKey(file string, ids *IDRange) string {
	if ids == nil {
		return file
	}
	return file + passSep + ids.String()
}

// rows counts e's rows: per file, the largest of a whole pass and the sum
// of its ranges, which do not overlap, so that reading a file whole and
// range by range does not count its rows twice.
func (e *skipEntry) rows() int64 {
	whole := map[string]int64{}
	ranges := map[string]int64{}
	for key, n := range e.perFile {
		if file, _, ranged := strings.Cut(key, passSep); ranged {
			ranges[file] += n
		} else {
			whole[file] = n
		}
	}
	var n int64
	for file, w := range whole {
		n += max(w, ranges[file])
	}
	for file, r := range ranges {
		if _, ok := whole[file]; !ok {
			n += r
		}
	}
	return n
}

// SkipReason is one reason of a SkipLog.
type SkipReason struct {
	Reason string `json:"reason"`
	// Notice: the rows were read, with the caveat Reason says; otherwise
	// they were left out.
	Notice   bool          `json:"notice,omitempty"`
	Rows     int64         `json:"rows"`
	Examples []SkipExample `json:"examples"`
}

// SkipExample locates one row of a SkipReason.
type SkipExample struct {
	File   string `json:"file"`
	Row    int64  `json:"row"`
	Column string `json:"column,omitempty"`
	Error  string `json:"error"`
}

// NewSkipLog returns an empty log.
func NewSkipLog() *SkipLog { return &SkipLog{reasons: map[string]*skipEntry{}} }

// fileCounts is what one pass over one file adds to a log.
type fileCounts map[string]*pendingSkips

type pendingSkips struct {
	notice   bool
	rows     int64
	examples []*InputError
}

func (c fileCounts) add(reason string, notice bool, e *InputError) {
	p := c[reason]
	if p == nil {
		p = &pendingSkips{notice: notice}
		c[reason] = p
	}
	p.rows++
	if len(p.examples) < SkipExamples {
		p.examples = append(p.examples, e)
	}
}

// mergeFile adds one pass (see passKey): a second pass over the same
// file or range (a command reading the book twice) keeps the larger
// count.
func (l *SkipLog) mergeFile(pass string, counts fileCounts) {
	if l == nil || len(counts) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for reason, p := range counts {
		e := l.reasons[reason]
		if e == nil {
			e = &skipEntry{notice: p.notice, perFile: map[string]int64{}}
			l.reasons[reason] = e
		}
		e.perFile[pass] = max(e.perFile[pass], p.rows)
		for _, x := range p.examples {
			if len(e.examples) >= SkipExamples {
				break
			}
			if !slices.ContainsFunc(e.examples, func(y *InputError) bool {
				return y.File == x.File && y.Row == x.Row && y.Column == x.Column
			}) {
				e.examples = append(e.examples, x)
			}
		}
	}
}

// Reasons lists the log, skipped rows first, then notices, each by reason.
func (l *SkipLog) Reasons() []SkipReason {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]SkipReason, 0, len(l.reasons))
	for reason, e := range l.reasons {
		r := SkipReason{Reason: reason, Notice: e.notice, Examples: []SkipExample{}}
		r.Rows = e.rows()
		for _, x := range e.examples {
			r.Examples = append(r.Examples, SkipExample{File: x.File, Row: x.Row, Column: x.Column, Error: x.Error()})
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b SkipReason) int {
		if a.Notice != b.Notice {
			if a.Notice {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Reason, b.Reason)
	})
	return out
}

// Skipped is the number of rows left out.
func (l *SkipLog) Skipped() int64 {
	var n int64
	for _, r := range l.Reasons() {
		if !r.Notice {
			n += r.Rows
		}
	}
	return n
}

// Empty reports whether nothing was skipped or noticed.
func (l *SkipLog) Empty() bool { return len(l.Reasons()) == 0 }

// MarshalJSON writes the reasons as a list (see SkipReason).
func (l *SkipLog) MarshalJSON() ([]byte, error) {
	r := l.Reasons()
	if r == nil {
		r = []SkipReason{}
	}
	return json.Marshal(r)
}

// Lines summarises the log in one sentence per reason, with its first
// example, for a report's notes.
func (l *SkipLog) Lines() []string {
	var out []string
	for _, r := range l.Reasons() {
		verb := "skipped"
		if r.Notice {
			verb = "read with a notice"
		}
		line := fmt.Sprintf("%d book rows %s: %s", r.Rows, verb, r.Reason)
		if len(r.Examples) > 0 {
			line += " (first: " + r.Examples[0].Error + ")"
		}
		out = append(out, line)
	}
	return out
}

// WriteText prints the log for a person: one line per reason with its
// count, then its examples. It prints nothing for an empty log.
func (l *SkipLog) WriteText(w io.Writer) {
	reasons := l.Reasons()
	if len(reasons) == 0 {
		return
	}
	if n := l.Skipped(); n > 0 {
		fmt.Fprintf(w, "skipped %d rows:\n", n)
	}
	noticed := false
	for _, r := range reasons {
		if r.Notice && !noticed {
			fmt.Fprintln(w, "read with a notice:")
			noticed = true
		}
		fmt.Fprintf(w, "  %d × %s\n", r.Rows, r.Reason)
		for _, x := range r.Examples {
			fmt.Fprintf(w, "      e.g. %s\n", x.Error)
		}
	}
}

// skipLogState is a SkipLog as stored beside a sorted copy, to be
// replayed whenever the copy is read.
type skipLogState map[string]skipEntryState

type skipEntryState struct {
	Notice   bool             `json:"notice,omitempty"`
	PerFile  map[string]int64 `json:"per_file"`
	Examples []skipErrorState `json:"examples"`
}

type skipErrorState struct {
	File   string `json:"file"`
	Row    int64  `json:"row"`
	Column string `json:"column,omitempty"`
	Err    string `json:"error"`
}

func (l *SkipLog) state() skipLogState {
	st := skipLogState{}
	if l == nil {
		return st
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for reason, e := range l.reasons {
		es := skipEntryState{Notice: e.notice, PerFile: e.perFile, Examples: []skipErrorState{}}
		for _, x := range e.examples {
			es.Examples = append(es.Examples, skipErrorState{x.File, x.Row, x.Column, x.Err.Error()})
		}
		st[reason] = es
	}
	return st
}

func (st skipLogState) log() *SkipLog {
	l := NewSkipLog()
	for reason, es := range st {
		e := &skipEntry{notice: es.Notice, perFile: es.PerFile}
		if e.perFile == nil {
			e.perFile = map[string]int64{}
		}
		for _, x := range es.Examples {
			e.examples = append(e.examples, &InputError{File: x.File, Row: x.Row, Column: x.Column, Err: errors.New(x.Err)})
		}
		l.reasons[reason] = e
	}
	return l
}

// mergeLog adds every file of other to l.
func (l *SkipLog) mergeLog(other *SkipLog) {
	if l == nil || other == nil {
		return
	}
	for reason, es := range other.state() {
		for pass, n := range es.PerFile {
			file, _, _ := strings.Cut(pass, passSep)
			c := fileCounts{}
			p := &pendingSkips{notice: es.Notice, rows: n}
			for _, x := range es.Examples {
				if x.File == file {
					p.examples = append(p.examples, &InputError{File: x.File, Row: x.Row, Column: x.Column, Err: errors.New(x.Err)})
				}
			}
			c[reason] = p
			l.mergeFile(pass, c)
		}
	}
}

// MarshalBinary encodes the log with its counts per file and range, so
// that the logs of a book's parts, read by other processes (a pipeline's
// workers), merge (Merge) into the log of reading the book whole.
func (l *SkipLog) MarshalBinary() ([]byte, error) { return json.Marshal(l.state()) }

// DecodeSkipLog reads what MarshalBinary wrote.
func DecodeSkipLog(b []byte) (*SkipLog, error) {
	var st skipLogState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("decode skip log: %w", err)
	}
	return st.log(), nil
}

// Merge adds other's counts to l; a file or range both logs counted
// counts once, as reading it twice does.
func (l *SkipLog) Merge(other *SkipLog) { l.mergeLog(other) }

// firstSkipped returns the earliest located row that was left out (not a
// notice), by file then row; nil when none was.
func (l *SkipLog) firstSkipped() *InputError {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var first *InputError
	for _, e := range l.reasons {
		if e.notice {
			continue
		}
		for _, x := range e.examples {
			if first == nil || x.File < first.File || x.File == first.File && x.Row < first.Row {
				first = x
			}
		}
	}
	return first
}

// Log logs, for a long-running process, what reading the book at dir left
// out or read with a notice: one warning per reason, with its count and
// first location.
func (l *SkipLog) Log(log *slog.Logger, dir string) {
	for _, r := range l.Reasons() {
		msg := "book rows skipped"
		if r.Notice {
			msg = "book rows read with a notice"
		}
		first := ""
		if len(r.Examples) > 0 {
			first = r.Examples[0].Error
		}
		log.Warn(msg, "book", dir, "reason", r.Reason, "rows", r.Rows, "first", first)
	}
}
