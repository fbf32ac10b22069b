package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Actions recorded in the label history.
const (
	ActionSet      = "set"      // SetLabel
	ActionRemove   = "remove"   // SetLabel with no version
	ActionPromote  = "promote"  // Promote
	ActionRollback = "rollback" // Rollback
)

// LabelChange is one entry of the label history.
type LabelChange struct {
	Time    time.Time `json:"time"`
	Label   string    `json:"label"`
	Action  string    `json:"action"`
	Version string    `json:"version"` // the label's new version; "" when removed
	// Previous is the version the label had before; "" when it had none.
	Previous string `json:"previous,omitempty"`
}

// state is the content of labels.json.
type state struct {
	Labels  map[string]string `json:"labels"`
	History []LabelChange     `json:"history"`
}

const stateFile = "labels.json"

func (r *Registry) readState() (*state, error) {
	st := &state{Labels: map[string]string{}}
	b, err := os.ReadFile(filepath.Join(r.dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", r.dir, err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("registry %s: %s is damaged (it is only ever replaced whole, so it was edited by hand?): %w", r.dir, stateFile, err)
	}
	if st.Labels == nil {
		st.Labels = map[string]string{}
	}
	return st, nil
}

// readLabels returns the current labels without decoding the history,
// which grows with every change: labels.json starts with them, so a poll
// reads a few hundred bytes whatever the history's length.
func (r *Registry) readLabels() (map[string]string, error) {
	f, err := os.Open(filepath.Join(r.dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", r.dir, err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	var labels map[string]string
	if t, err := dec.Token(); err == nil && t == json.Delim('{') {
		if t, err := dec.Token(); err == nil && t == "labels" && dec.Decode(&labels) == nil && labels != nil {
			return labels, nil
		}
	}
	// Not in the layout this package writes: decode it all, for the error.
	st, err := r.readState()
	if err != nil {
		return nil, err
	}
	return st.Labels, nil
}

// errUnchanged tells change that there is nothing to write.
var errUnchanged = errors.New("unchanged")

// change applies edit to the state under the lock and stores the result
// atomically; edit returning errUnchanged skips the write.
func (r *Registry) change(edit func(st *state) error) (err error) {
	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, unlock()) }()
	if err := removeStale(r.dir); err != nil {
		return err
	}
	st, err := r.readState()
	if err != nil {
		return err
	}
	switch err := edit(st); {
	case errors.Is(err, errUnchanged):
		return nil
	case err != nil:
		return err
	}
	b, err := marshalState(st)
	if err != nil {
		return fmt.Errorf("registry %s: %w", r.dir, err)
	}
	if err := writeFile(filepath.Join(r.dir, stateFile), b); err != nil {
		return fmt.Errorf("registry %s: write labels: %w", r.dir, err)
	}
	return nil
}

// record moves label to v and appends the change to the history.
func (st *state) record(now time.Time, label, action, v string) {
	st.History = append(st.History, LabelChange{Time: now.UTC(), Label: label, Action: action, Version: v, Previous: st.Labels[label]})
	if v == "" {
		delete(st.Labels, label)
	} else {
		st.Labels[label] = v
	}
}

// championStack replays the champion's history: each promotion (or
// setting, or removal) pushes the new value, each rollback pops one. The
// top is the champion; the entry below it is where Rollback returns.
func (st *state) championStack() []string {
	var stack []string
	for _, c := range st.History {
		if c.Label != Champion {
			continue
		}
		if c.Action == ActionRollback {
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		stack = append(stack, c.Version)
	}
	return stack
}

// checkLabel refuses names that Resolve would read as something else.
func checkLabel(label string) error {
	if _, isVersion := parseVersion(label); isVersion || label == Latest || label == "" {
		return fmt.Errorf("label %q: reserved (versions, latest and the empty name are references)", label)
	}
	for _, c := range label {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("label %q: use lower-case letters, digits, - and _", label)
		}
	}
	return nil
}

// Labels returns every label and its version.
func (r *Registry) Labels() (map[string]string, error) {
	return r.readLabels()
}

// History returns the changes of a label, oldest first; label "" means
// every label.
func (r *Registry) History(label string) ([]LabelChange, error) {
	st, err := r.readState()
	if err != nil {
		return nil, err
	}
	var out []LabelChange
	for _, c := range st.History {
		if label == "" || c.Label == label {
			out = append(out, c)
		}
	}
	return out, nil
}

// SetLabel points label at the version ref names (see Resolve); an empty
// ref removes the label. Setting "champion" this way is a promotion
// without checks, recorded as "set"; prefer Promote. The version's file
// must be intact.
func (r *Registry) SetLabel(label, ref string) error {
	if err := checkLabel(label); err != nil {
		return err
	}
	v := ""
	if ref != "" {
		var err error
		if v, err = r.Resolve(ref); err != nil {
			return fmt.Errorf("set label %s: %w", label, err)
		}
		if _, err := r.manifest(v); err != nil {
			return fmt.Errorf("set label %s to %s: %w", label, v, err)
		}
	}
	return r.change(func(st *state) error {
		if st.Labels[label] == v {
			return errUnchanged
		}
		action := ActionSet
		if v == "" {
			action = ActionRemove
		}
		st.record(r.now(), label, action, v)
		return nil
	})
}

// Promote makes the version ref names (see Resolve) the champion; the
// previous champion stays in the history for Rollback. It refuses a
// version whose file is damaged, and one that any of verify rejects:
// verify is given the version and typically loads it with the binary's
// decoders (Registry.Load), so that a model this build cannot serve is
// never promoted. Promoting the champion again changes nothing.
//
// The checks run before the lock is taken (versions never change), so a
// slow load does not hold up other changes.
func (r *Registry) Promote(ref string, verify ...func(version string) error) error {
	v, err := r.Resolve(ref)
	if err != nil {
		return fmt.Errorf("promote: %w", err)
	}
	if _, err := r.manifest(v); err != nil {
		return fmt.Errorf("promote %s: %w", v, err)
	}
	for _, check := range verify {
		if err := check(v); err != nil {
			return fmt.Errorf("promote %s: %w", v, err)
		}
	}
	return r.change(func(st *state) error {
		if st.Labels[Champion] == v {
			return errUnchanged
		}
		st.record(r.now(), Champion, ActionPromote, v)
		return nil
	})
}

// Rollback returns the champion to the one before it and returns that
// version. Successive rollbacks walk further back: promotions stack up
// and each rollback undoes one. The error wraps ErrNoPrevious when there
// is no earlier champion.
func (r *Registry) Rollback() (string, error) {
	var target string
	err := r.change(func(st *state) error {
		stack := st.championStack()
		if len(stack) < 2 || stack[len(stack)-2] == "" {
			return fmt.Errorf("roll back the champion in %s: %w", r.dir, ErrNoPrevious)
		}
		target = stack[len(stack)-2]
		if _, err := r.manifest(target); err != nil {
			return fmt.Errorf("roll back to %s: %w", target, err)
		}
		st.record(r.now(), Champion, ActionRollback, target)
		return nil
	})
	if err != nil {
		return "", err
	}
	return target, nil
}
