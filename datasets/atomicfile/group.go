package atomicfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Group is files published together: Commit moves all of them into place.
// It first writes a journal, which names each file's temporary and the
// hard link it keeps of the file it replaces; should the process die
// before Commit removes the journal, Recover puts every old file back and
// removes the new ones, so that readers after Recover see the old set or
// the new set, never a mix. A Group is not safe for concurrent use.
type Group struct {
	journal string
	files   []*File
	done    bool
}

// journalEntry is one file of a journal.
type journalEntry struct {
	Target string `json:"target"`
	Temp   string `json:"temp"`
	// Backup is a hard link to the file Target held before; "" when there
	// was none.
	Backup string `json:"backup,omitempty"`
}

// JournalPath is the journal of a group named for path: a hidden file
// beside it that readers skip.
func JournalPath(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, "."+base+".publish")
}

// NewGroup starts a group whose journal is JournalPath(path); path is
// usually the group's main file. It first recovers what an earlier
// publish of the same group left unfinished and removes the journal's
// stale temporary files; Create removes those of each file.
func NewGroup(path string) (*Group, error) {
	journal := JournalPath(path)
	if err := Recover(journal); err != nil {
		return nil, err
	}
	if _, err := RemoveStale(journal); err != nil {
		return nil, fmt.Errorf("publish %s: remove stale temporary files: %w", path, err)
	}
	return &Group{journal: journal}, nil
}

// Create starts writing path as part of the group: the File's Commit only
// syncs it, and nothing appears at path until the group's Commit.
func (g *Group) Create(path string) (*File, error) {
	if g.done {
		return nil, fmt.Errorf("create %s: group already committed or aborted", path)
	}
	f, err := Create(path)
	if err != nil {
		return nil, err
	}
	f.group = g
	g.files = append(g.files, f)
	return f, nil
}

// Commit publishes every file of the group; each must have been
// committed (written and synced) first. On an error before the journal is
// written nothing changed; after it, the old files are put back.
func (g *Group) Commit() (err error) {
	if g.done {
		return errors.New("commit: group already committed or aborted")
	}
	defer func() {
		if errors.Is(err, errCrashed) {
			g.done = true // a killed process cleans nothing up
		}
		g.Abort()
	}()
	entries := make([]journalEntry, len(g.files))
	for i, f := range g.files {
		if !f.done {
			return fmt.Errorf("commit %s: the file is still being written", f.path)
		}
		target, err := filepath.Abs(f.path)
		if err != nil {
			return err
		}
		temp, err := filepath.Abs(f.f.Name())
		if err != nil {
			return err
		}
		entries[i] = journalEntry{Target: target, Temp: temp}
		backup := temp + ".old"
		err = link(target, backup)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			// A file system without hard links: move the old file aside
			// instead, which leaves target absent until the new one is in.
			if _, err = os.Stat(target); err == nil {
				err = os.Rename(target, backup)
			}
		}
		switch {
		case err == nil:
			entries[i].Backup = backup
		case !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("commit %s: keep the old file: %w", f.path, errors.Join(err, g.restore(entries[:i+1])))
		}
	}
	b, err := json.Marshal(entries)
	if err != nil {
		return errors.Join(err, g.restore(entries))
	}
	if err := WriteFile(g.journal, b); err != nil {
		return errors.Join(err, g.restore(entries))
	}
	if crashed("journal") {
		return errCrashed
	}
	for i, e := range entries {
		if err := os.Rename(e.Temp, e.Target); err != nil {
			return fmt.Errorf("publish %s: %w", g.files[i].path, errors.Join(err, Recover(g.journal)))
		}
		if crashed("rename") {
			return errCrashed
		}
	}
	for _, e := range entries {
		if err := SyncDir(filepath.Dir(e.Target)); err != nil {
			return fmt.Errorf("publish %s: %w", e.Target, errors.Join(err, Recover(g.journal)))
		}
	}
	// Removing the journal is the commit point.
	if err := os.Remove(g.journal); err != nil {
		return fmt.Errorf("publish: %w", errors.Join(err, Recover(g.journal)))
	}
	err = SyncDir(filepath.Dir(g.journal))
	for _, e := range entries {
		if e.Backup != "" {
			err = errors.Join(err, os.Remove(e.Backup))
		}
	}
	return err
}

// restore puts back the old files that Commit moved aside (on a file
// system without hard links) before it wrote the journal; a hard link is
// left for Abort to remove.
func (g *Group) restore(entries []journalEntry) error {
	var errs []error
	for _, e := range entries {
		if e.Backup == "" {
			continue
		}
		if _, err := os.Stat(e.Target); errors.Is(err, os.ErrNotExist) {
			errs = append(errs, os.Rename(e.Backup, e.Target))
		}
	}
	return errors.Join(errs...)
}

// Abort discards every file of the group not yet published; it can be
// deferred.
func (g *Group) Abort() {
	if g.done {
		return
	}
	g.done = true
	for _, f := range g.files {
		f.Abort()
		os.Remove(f.f.Name()) // committed to the group but never published
		os.Remove(f.f.Name() + ".old")
	}
}

// Recover finishes a group publish that a crash cut short, given its
// journal: each file replaced goes back to its old content, each file new
// to the group is removed, and the journal with them. Without a journal it
// does nothing.
func Recover(journal string) error {
	b, err := os.ReadFile(journal)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("recover %s: %w", journal, err)
	}
	var entries []journalEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return fmt.Errorf("recover %s: damaged journal: %w", journal, err)
	}
	var errs []error
	var dirs []string
	for _, e := range slices.Backward(entries) {
		if e.Target == "" || e.Temp == "" {
			return fmt.Errorf("recover %s: damaged journal: an entry without its paths", journal)
		}
		_, tempErr := os.Stat(e.Temp)
		renamed := errors.Is(tempErr, os.ErrNotExist)
		switch {
		case e.Backup != "":
			if _, err := os.Stat(e.Backup); err == nil {
				errs = append(errs, os.Rename(e.Backup, e.Target))
			}
		case renamed:
			if err := os.Remove(e.Target); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		if !renamed {
			errs = append(errs, os.Remove(e.Temp))
		}
		dirs = append(dirs, filepath.Dir(e.Target))
	}
	for _, d := range dirs {
		errs = append(errs, SyncDir(d))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("recover %s: %w", journal, err)
	}
	if err := os.Remove(journal); err != nil {
		return fmt.Errorf("recover %s: %w", journal, err)
	}
	return SyncDir(filepath.Dir(journal))
}

// link makes the hard link that keeps an old file; a test replaces it to
// play a file system without hard links.
var link = os.Link

// crashHook, when a test sets it, is asked at each point of Commit where
// a crash leaves a journal behind; true stops Commit there as a killed
// process would, without any cleanup.
var crashHook func(point string) bool

var errCrashed = errors.New("simulated crash")

// crashed consults crashHook; on a simulated crash it marks the group
// done, so that nothing cleans up after it.
func crashed(point string) bool {
	return crashHook != nil && crashHook(point)
}
