// Package registry keeps versioned model artifacts in a directory, with
// labels (champion, challenger, …) that can be moved, promoted and rolled
// back atomically.
//
// # Layout
//
//	DIR/
//	  versions/
//	    v0001/model.json      the artifact (models/artifact format)
//	    v0001/report.html     files attached with Add or AddFile
//	    v0002/…
//	  labels.json             current labels and their full history
//	  lock                    held (flock) while a process changes DIR
//
// A version directory is complete or absent: Add builds it under a
// temporary name and renames it into place. Versions are never changed
// afterwards, except that files may be attached. labels.json is replaced
// atomically (temporary file, fsync, rename, fsync of the directory), and
// holds the labels together with their history, so that a crash can never
// leave a champion that disagrees with the history Rollback relies on.
// Leftover temporary files (names starting with a dot) are ignored by
// readers and removed by the next change.
//
// # References and labels
//
// Resolve, Load, Promote, SetLabel and AddFile accept a reference: a
// version ("v0003" or "v3"), "latest", or a label. "champion" is the
// version serving uses; Promote moves it, and every label change is kept
// in the history. Promotions stack up and Rollback undoes one at a time,
// so rolling back twice after promoting v1, v2, v3 gives v1.
//
// # Concurrency
//
// Changes (Add, AddFile, SetLabel, Promote, Rollback) take an exclusive
// flock on DIR/lock, so two processes promoting at once are serialised.
// Readers (List, Resolve, Load, ChampionVersion, History) never take it:
// every file they read is replaced whole, so they see the state before or
// after a change, never half of one.
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/credence-risk/credence/datasets/atomicfile"
	"github.com/credence-risk/credence/models/artifact"
)

// Labels and references with a fixed meaning.
const (
	// Champion labels the version that serving uses.
	Champion = "champion"
	// Challenger labels a version scored beside the champion.
	Challenger = "challenger"
	// Latest refers to the most recently added version; it is not a label.
	Latest = "latest"
	// ModelFile is the artifact's file name in a version directory.
	ModelFile = "model.json"
)

var (
	// ErrNotFound reports a version or label the registry does not have.
	ErrNotFound = errors.New("not found in registry")
	// ErrNoPrevious reports a rollback with no earlier champion to return to.
	ErrNoPrevious = errors.New("no previous champion")
)

// Registry is a model registry in a directory. It holds no state of its
// own beyond the path, so any number of Registry values and processes may
// share one directory.
type Registry struct {
	dir string
	now func() time.Time
}

// Open opens the registry in dir, creating its layout if missing.
func Open(dir string) (*Registry, error) {
	if err := os.MkdirAll(filepath.Join(dir, "versions"), 0o755); err != nil {
		return nil, fmt.Errorf("open registry: %w", err)
	}
	r := &Registry{dir: dir, now: time.Now}
	if _, err := r.readState(); err != nil {
		return nil, err
	}
	return r, nil
}

// Dir returns the registry's directory.
func (r *Registry) Dir() string { return r.dir }

// Path returns the path of a file in a version's directory, e.g.
// Path("v0003", "report.html").
func (r *Registry) Path(version, name string) string {
	return filepath.Join(r.versionsDir(), version, name)
}

func (r *Registry) versionsDir() string { return filepath.Join(r.dir, "versions") }

// versionName formats version number n.
func versionName(n int) string { return fmt.Sprintf("v%04d", n) }

// parseVersion returns the number of a version name such as "v0003" or
// "v3".
func parseVersion(s string) (int, bool) {
	if len(s) < 2 || s[0] != 'v' {
		return 0, false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s[1:])
	return n, err == nil && n > 0
}

// versions returns the version numbers present, ascending.
func (r *Registry) versions() ([]int, error) {
	entries, err := os.ReadDir(r.versionsDir())
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", r.dir, err)
	}
	var out []int
	for _, e := range entries {
		if n, ok := parseVersion(e.Name()); ok && e.IsDir() && e.Name() == versionName(n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Resolve returns the version a reference names: a version ("v0003" or
// "v3"), "latest", or a label such as "champion". The error wraps
// ErrNotFound when there is no such version or label.
func (r *Registry) Resolve(ref string) (string, error) {
	switch n, isVersion := parseVersion(ref); {
	case ref == "":
		return "", fmt.Errorf("registry %s: empty model reference", r.dir)
	case ref == Latest:
		vs, err := r.versions()
		if err != nil {
			return "", err
		}
		if len(vs) == 0 {
			return "", fmt.Errorf("registry %s: latest: no versions: %w", r.dir, ErrNotFound)
		}
		return versionName(vs[len(vs)-1]), nil
	case isVersion:
		v := versionName(n)
		if _, err := os.Stat(r.Path(v, ModelFile)); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("registry %s: version %s: %w", r.dir, v, ErrNotFound)
			}
			return "", fmt.Errorf("registry %s: %w", r.dir, err)
		}
		return v, nil
	default:
		labels, err := r.readLabels()
		if err != nil {
			return "", err
		}
		v, ok := labels[ref]
		if !ok {
			return "", fmt.Errorf("registry %s: label %q: %w", r.dir, ref, ErrNotFound)
		}
		return v, nil
	}
}

// ChampionVersion returns the champion's version by reading one small
// file, so that a server can poll it. The error wraps ErrNotFound when
// there is no champion.
func (r *Registry) ChampionVersion() (string, error) {
	return r.Resolve(Champion)
}

// Load reads and decodes the artifact a reference names (see Resolve and
// artifact.Read).
func (r *Registry) Load(ref string, dec artifact.Decoders, cal artifact.CalibratorDecoder) (*artifact.Artifact, error) {
	v, err := r.Resolve(ref)
	if err != nil {
		return nil, err
	}
	a, err := artifact.ReadFile(r.Path(v, ModelFile), dec, cal)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", v, err)
	}
	if a.Version != v {
		return nil, fmt.Errorf("load %s: the artifact says it is version %q; was it copied in by hand?", v, a.Version)
	}
	return a, nil
}

// manifest reads and checks the metadata of version v.
func (r *Registry) manifest(v string) (*artifact.Manifest, error) {
	m, err := artifact.ReadManifestFile(r.Path(v, ModelFile))
	if err != nil {
		return nil, err
	}
	if m.Version != v {
		return nil, fmt.Errorf("%s: the artifact says it is version %q; was it copied in by hand?", r.Path(v, ModelFile), m.Version)
	}
	return m, nil
}

// Entry describes one version for a listing.
type Entry struct {
	artifact.Manifest
	// Labels are the labels on this version, sorted.
	Labels []string `json:"labels,omitempty"`
	// Files are the files attached besides the model, sorted.
	Files []string `json:"files,omitempty"`
	// Error says why the model file could not be read; the manifest
	// fields other than Version are then empty.
	Error string `json:"error,omitempty"`
}

// List describes every version, oldest first. A version whose model file
// is damaged is listed with Error set rather than failing the listing.
func (r *Registry) List() ([]Entry, error) {
	vs, err := r.versions()
	if err != nil {
		return nil, err
	}
	st, err := r.readState()
	if err != nil {
		return nil, err
	}
	labels := map[string][]string{}
	for label, v := range st.Labels {
		labels[v] = append(labels[v], label)
	}
	out := make([]Entry, 0, len(vs))
	for _, n := range vs {
		v := versionName(n)
		e := Entry{Labels: labels[v]}
		slices.Sort(e.Labels)
		if m, err := r.manifest(v); err != nil {
			e.Error = err.Error()
		} else {
			e.Manifest = *m
		}
		e.Version = v
		files, err := os.ReadDir(filepath.Join(r.versionsDir(), v))
		if err != nil {
			return nil, fmt.Errorf("registry %s: %w", r.dir, err)
		}
		for _, f := range files {
			if name := f.Name(); name != ModelFile && !strings.HasPrefix(name, ".") {
				e.Files = append(e.Files, name)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// File is a file to attach to a version, e.g. a validation report.
type File struct {
	Name string
	Data []byte
	// Render, when set, makes Data once the version is known, for a file
	// that names its version (a training report's model card).
	Render func(version string) ([]byte, error)
}

// checkFileName refuses names that are not plain file names in a version
// directory.
func checkFileName(name string) error {
	if name == "" || name != filepath.Base(name) || strings.ContainsAny(name, `/\`) ||
		strings.HasPrefix(name, ".") || name == ModelFile || !utf8.ValidString(name) {
		return fmt.Errorf("attach %q: want a plain file name, not starting with a dot, other than %s", name, ModelFile)
	}
	return nil
}

// Add stores a as the next version (v0001, v0002, …) with the given
// attached files, and returns the version. The version directory appears
// complete or not at all. a is not modified: the stored copy gets the new
// Version, and Created is set to now when a has none.
func (r *Registry) Add(a *artifact.Artifact, files ...File) (version string, err error) {
	for _, f := range files {
		if err := checkFileName(f.Name); err != nil {
			return "", err
		}
	}
	if a == nil {
		return "", errors.New("add to registry: no artifact")
	}
	unlock, err := r.lock()
	if err != nil {
		return "", err
	}
	defer func() { err = errors.Join(err, unlock()) }()
	if err := removeStale(r.versionsDir()); err != nil {
		return "", err
	}

	vs, err := r.versions()
	if err != nil {
		return "", err
	}
	next := 1
	if len(vs) > 0 {
		next = vs[len(vs)-1] + 1
	}
	v := versionName(next)
	tmp, err := atomicfile.MkdirTemp(r.versionsDir(), v)
	if err != nil {
		return "", fmt.Errorf("add %s: %w", v, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, os.RemoveAll(tmp))
		}
	}()

	c := *a
	c.Version = v
	if c.Created.IsZero() {
		c.Created = r.now().UTC()
	}
	if err := artifact.WriteFile(filepath.Join(tmp, ModelFile), &c); err != nil {
		return "", fmt.Errorf("add %s: %w", v, err)
	}
	for _, f := range files {
		if f.Render != nil {
			if f.Data, err = f.Render(v); err != nil {
				return "", fmt.Errorf("add %s: render %s: %w", v, f.Name, err)
			}
		}
		if err := writeFile(filepath.Join(tmp, f.Name), f.Data); err != nil {
			return "", fmt.Errorf("add %s: attach %s: %w", v, f.Name, err)
		}
	}
	crashPoint("add: before rename")
	if err := os.Rename(tmp, filepath.Join(r.versionsDir(), v)); err != nil {
		return "", fmt.Errorf("add %s: %w", v, err)
	}
	if err := atomicfile.SyncDir(r.versionsDir()); err != nil {
		return v, fmt.Errorf("add %s: %w", v, err)
	}
	return v, nil
}

// AddFile attaches a file to the version ref names, e.g. report.html,
// replacing an earlier file of that name atomically. The model file
// itself cannot be replaced.
func (r *Registry) AddFile(ref, name string, data []byte) (err error) {
	if err := checkFileName(name); err != nil {
		return err
	}
	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, unlock()) }()
	v, err := r.Resolve(ref)
	if err != nil {
		return err
	}
	dir := filepath.Join(r.versionsDir(), v)
	if err := removeStale(dir); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, name), data); err != nil {
		return fmt.Errorf("attach %s to %s: %w", name, v, err)
	}
	return nil
}

// removeStale removes the temporary files and directories a crashed
// change left in dir. Only call it holding the lock: then no change is in
// flight and every temporary name is stale.
func removeStale(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if isTemp(e.Name()) {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("registry: remove leftover temporary files: %w", err)
	}
	return nil
}

// isTemp reports a name atomicfile gives a file or directory before
// renaming it into place.
func isTemp(name string) bool { return atomicfile.IsTemp(name) }

// writeFile replaces path with b through atomicfile, with crash points
// for the tests either side of the rename.
func writeFile(path string, b []byte) error {
	base := filepath.Base(path)
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	crashPoint("write " + base + ": before rename")
	if err := f.Commit(); err != nil {
		return err
	}
	crashPoint("write " + base + ": after rename")
	return nil
}

// crashHook, when set by a test, is called at the points where a crash
// would leave temporary files behind; a test panics in it to simulate one.
var crashHook func(point string)

func crashPoint(point string) {
	if crashHook != nil {
		crashHook(point)
	}
}

// The state file is small JSON; keep the encoding readable.
func marshalState(st *state) ([]byte, error) {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
