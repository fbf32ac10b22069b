package registry

import (
	"os"
	"path/filepath"
	"testing"
)

// crashAt runs f, simulating a crash at the named point: the hook panics
// there, so that nothing after it runs, the deferred clean-up of temporary
// files included (that clean-up only runs on an error). Deferred unlocks
// do run, as the kernel releases a dead process's flock.
func crashAt(t *testing.T, point string, f func()) {
	t.Helper()
	type crash struct{}
	crashed := false
	crashHook = func(p string) {
		if p == point {
			panic(crash{})
		}
	}
	defer func() { crashHook = nil }()
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(crash); !ok {
					panic(v)
				}
				crashed = true
			}
		}()
		f()
	}()
	if !crashed {
		t.Fatalf("never reached crash point %q", point)
	}
}

func countTemp(t *testing.T, r *Registry) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(r.dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && isTemp(d.Name()) {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCrash(t *testing.T) {
	tests := []struct {
		name  string
		point string
		op    func(r *Registry)
		// after the crash, in a freshly opened registry
		champion, latest, report string
	}{
		{"promote before the rename", "write labels.json: before rename",
			func(r *Registry) { r.Promote("v0002") }, "v0001", "v0002", "old"},
		{"promote after the rename", "write labels.json: after rename",
			func(r *Registry) { r.Promote("v0002") }, "v0002", "v0002", "old"},
		{"rollback before the rename", "write labels.json: before rename",
			func(r *Registry) { r.Rollback() }, "v0001", "v0002", "old"},
		{"add before the rename", "add: before rename",
			func(r *Registry) { r.Add(stubArtifact(0.5)) }, "v0001", "v0002", "old"},
		{"add while writing an attachment", "write report.html: before rename",
			func(r *Registry) { r.Add(stubArtifact(0.5), File{Name: "report.html", Data: []byte("new")}) }, "v0001", "v0002", "old"},
		{"attach before the rename", "write report.html: before rename",
			func(r *Registry) { r.AddFile("v0001", "report.html", []byte("new")) }, "v0001", "v0002", "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRegistry(t, 2)
			if err := r.Promote("v0002"); err != nil {
				t.Fatal(err)
			}
			if err := r.Promote("v0001"); err != nil {
				t.Fatal(err)
			}
			if err := r.AddFile("v0001", "report.html", []byte("old")); err != nil {
				t.Fatal(err)
			}
			crashAt(t, tt.point, func() { tt.op(r) })

			// What a restarted process sees.
			r2, err := Open(r.dir)
			if err != nil {
				t.Fatalf("open after the crash: %v", err)
			}
			check := func(when string) {
				if got := champion(t, r2); got != tt.champion {
					t.Errorf("%s: got champion %q; want %q", when, got, tt.champion)
				}
				if got, err := r2.Resolve(Latest); got != tt.latest || err != nil {
					t.Errorf("%s: got latest %q, %v; want %q", when, got, err, tt.latest)
				}
				if b, err := os.ReadFile(r2.Path("v0001", "report.html")); string(b) != tt.report || err != nil {
					t.Errorf("%s: got report %q, %v; want %q", when, b, err, tt.report)
				}
				list, err := r2.List()
				if err != nil || len(list) != 2 {
					t.Fatalf("%s: got %d versions, %v; want 2", when, len(list), err)
				}
				for _, e := range list {
					if e.Error != "" {
						t.Errorf("%s: %s: %s", when, e.Version, e.Error)
					}
				}
			}
			check("after the crash")

			// The next change of the same kind cleans up and works.
			tt.op(r2)
			if n := countTemp(t, r2); n != 0 {
				t.Errorf("got %d temporary files after the next change; want 0", n)
			}
			h, err := r2.History("")
			if err != nil {
				t.Fatal(err)
			}
			checkChain(t, h)
		})
	}
}

// TestStrayFiles checks the state a crash leaves on disk, built by hand:
// half-written temporary files, and a temporary version directory.
func TestStrayFiles(t *testing.T) {
	r := newRegistry(t, 2)
	if err := r.Promote("v0001"); err != nil {
		t.Fatal(err)
	}
	labels, err := os.ReadFile(filepath.Join(r.dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	model, err := os.ReadFile(r.Path("v0002", ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	stray := map[string][]byte{
		"." + stateFile + ".tmp-123":                       labels[:len(labels)/2],
		"." + stateFile + ".tmp-456":                       nil,
		"versions/.tmp-v0003-789/" + ModelFile:             model[:100],
		"versions/.tmp-v0003-790/." + ModelFile + ".tmp-1": model,
		"versions/v0001/.report.html.tmp-42":               []byte("<ht"),
	}
	for name, b := range stray {
		path := filepath.Join(r.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	r2, err := Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := champion(t, r2); got != "v0001" {
		t.Errorf("got champion %q; want v0001", got)
	}
	list, err := r2.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || len(list[0].Files) != 0 {
		t.Errorf("got %d versions, files %q; want 2 versions and no attached files", len(list), list[0].Files)
	}
	v, err := r2.Add(stubArtifact(0.3))
	if err != nil || v != "v0003" {
		t.Errorf("add: got %q, %v; want v0003", v, err)
	}
	if err := r2.Promote(v); err != nil {
		t.Fatal(err)
	}
	if err := r2.AddFile("v0001", "report.html", []byte("<html>")); err != nil {
		t.Fatal(err)
	}
	if n := countTemp(t, r2); n != 0 {
		t.Errorf("got %d temporary files after changes; want 0", n)
	}
	if got, err := r2.Rollback(); got != "v0001" || err != nil {
		t.Errorf("rollback: got %q, %v; want v0001", got, err)
	}
}
