// Package atomicfile writes files so that a reader, or a process started
// after a crash, sees either the old file or all of the new one, never a
// part. Every file Credence writes goes through it.
//
// A file is written under a hidden temporary name in its target directory
// ("." + name + ".tmp-" + the writer's process id + "-" + random suffix, so
// listings and book readers skip a leftover), synced, closed, renamed over
// the target, and the directory synced so that the rename survives a power
// loss. On an error or Abort the temporary file is removed and the target
// is left as it was. What a killed writer left is removed by the next
// Create of the same file (RemoveStale).
//
// A Group publishes several files together (scores and their report): all
// the new ones or, should the process die part-way, all the old ones once
// Recover has run.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Perm is the permission of every file written: readable by others, as
// books, scores and reports are shared.
const Perm = 0o644

// File is a file being written. Write to it, then Commit to move it into
// place or Abort to discard it. A File is not safe for concurrent use.
type File struct {
	path  string
	f     *os.File
	done  bool
	group *Group // nil: Commit renames the file into place itself
}

// Create starts writing path, whose directory must exist. Nothing appears
// at path until Commit. It first removes, as far as it can, the stale
// temporary files that killed writers of path left (see RemoveStale).
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return nil, fmt.Errorf("create %s: not a file name", path)
	}
	// Best effort: a leftover that cannot be removed must not stop a write.
	_, _ = RemoveStale(path)
	f, err := os.CreateTemp(dir, TempPrefix(base)+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	// CreateTemp makes the file private.
	if err := f.Chmod(Perm); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, errors.Join(err, f.Close(), os.Remove(f.Name())))
	}
	return &File{path: path, f: f}, nil
}

// TempPrefix is how the temporary name of a file called base begins.
func TempPrefix(base string) string { return "." + base + ".tmp-" }

// IsTemp reports whether name is the name of a temporary file (or
// directory) this package or MkdirTemp gives before the rename.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// Path is the file Commit writes.
func (f *File) Path() string { return f.path }

// Write appends p to the temporary file.
func (f *File) Write(p []byte) (int, error) {
	if f.done {
		return 0, fmt.Errorf("write %s: file already committed or aborted", f.path)
	}
	return f.f.Write(p)
}

// Commit syncs and closes the temporary file, renames it over the target
// and syncs the directory. On an error the temporary file is removed and
// the target is untouched. Commit after Commit or Abort is an error.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: file already committed or aborted", f.path)
	}
	f.done = true
	tmp := f.f.Name()
	if err := errors.Join(f.f.Sync(), f.f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", f.path, errors.Join(err, os.Remove(tmp)))
	}
	if f.group != nil {
		return nil // the group renames it with the others
	}
	if err := os.Rename(tmp, f.path); err != nil {
		return fmt.Errorf("write %s: %w", f.path, errors.Join(err, os.Remove(tmp)))
	}
	if err := SyncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// Abort discards the temporary file; the target is untouched. Abort after
// Commit or Abort does nothing, so it can be deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	os.Remove(f.f.Name())
}

// WriteFile replaces path with data atomically.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// MkdirTemp creates a hidden temporary directory in dir for the content
// of a directory called base, to be moved into place with Rename.
func MkdirTemp(dir, base string) (string, error) {
	tmp, err := os.MkdirTemp(dir, TempPrefix(base)+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return "", err
	}
	// MkdirTemp makes the directory private.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", errors.Join(err, os.RemoveAll(tmp))
	}
	return tmp, nil
}

// Rename moves oldpath (a file or a directory whose content is already
// synced) to newpath and syncs the directories involved, so that the
// move survives a crash.
func Rename(oldpath, newpath string) error {
	if err := os.Rename(oldpath, newpath); err != nil {
		return err
	}
	from, to := filepath.Dir(oldpath), filepath.Dir(newpath)
	err := SyncDir(to)
	if filepath.Clean(from) != filepath.Clean(to) {
		err = errors.Join(err, SyncDir(from))
	}
	return err
}

// SyncDir makes the creation, removal or renaming of entries in dir
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// StaleAge is the age past which RemoveStale removes a temporary file
// whatever its process id says: a process id may have been reused, or the
// writer may have run on another machine sharing the directory.
const StaleAge = 24 * time.Hour

// RemoveStale removes the temporary files (and directories) that writers
// of path killed before they finished left beside it: those named for
// path (TempPrefix of its base name) whose writer process is gone, or
// older than StaleAge. It never touches another name, and keeps the files
// of a writer still running. It returns the names removed.
func RemoveStale(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	prefix := TempPrefix(base)
	var removed []string
	var errs []error
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || rest == "" {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		pid, hasPID := tempPID(rest)
		stale := time.Since(info.ModTime()) > StaleAge || hasPID && pid != os.Getpid() && !processRunning(pid)
		if !stale {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Name())
	}
	return removed, errors.Join(errs...)
}

// tempPID reads the writer's process id from what follows TempPrefix in a
// temporary name ("1234-5678901"); names of other shapes have none.
func tempPID(rest string) (int, bool) {
	s, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(s)
	return pid, err == nil && pid > 0
}
