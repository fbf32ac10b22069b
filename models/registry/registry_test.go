package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/artifact"
)

// stub is a model family for tests: every customer gets the PD P.
type stub struct {
	Names []string `json:"names"`
	P     float64  `json:"p"`
}

func (m *stub) Family() string                         { return "stub" }
func (m *stub) Features() []string                     { return m.Names }
func (m *stub) PD([]float64) float64                   { return m.P }
func (m *stub) Reasons([]float64, int) []models.Reason { return nil }

func (m *stub) PDs(X *models.Matrix, out []float64) {
	for i := range X.Rows {
		out[i] = m.P
	}
}

func (m *stub) MarshalJSON() ([]byte, error) {
	type plain stub
	return json.Marshal((*plain)(m))
}

var testDecoders = artifact.Decoders{"stub": decodeStubModel}

func decodeStubModel(b []byte) (models.Model, error) {
	type plain stub
	var m plain
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return (*stub)(&m), nil
}

func stubArtifact(p float64) *artifact.Artifact {
	return &artifact.Artifact{
		Model:   &stub{Names: []string{"inv_late_share_6m", "st_dpd"}, P: p},
		Metrics: json.RawMessage(fmt.Sprintf(`{"auc": %v}`, 0.7+p)),
	}
}

// testClock returns a clock that ticks a minute per call from a fixed
// start; safe for concurrent use.
func testClock() func() time.Time {
	var n atomic.Int64
	start := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * time.Minute) }
}

// newRegistry opens an empty registry with a test clock and adds n
// versions, v0001 with PD 0.01, v0002 with 0.02, …
func newRegistry(t *testing.T, n int) *Registry {
	t.Helper()
	r, err := Open(filepath.Join(t.TempDir(), "registry"))
	if err != nil {
		t.Fatal(err)
	}
	r.now = testClock()
	for i := 1; i <= n; i++ {
		if _, err := r.Add(stubArtifact(float64(i) / 100)); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func champion(t *testing.T, r *Registry) string {
	t.Helper()
	v, err := r.ChampionVersion()
	if errors.Is(err, ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "registry")
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "versions")); err != nil || !fi.IsDir() {
		t.Fatalf("got %v, %v; want a versions directory", fi, err)
	}
	if _, err := Open(dir); err != nil {
		t.Errorf("reopen: %v", err)
	}

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(file); err == nil {
		t.Errorf("open a plain file: got no error")
	}

	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"labels": {"champion": `), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), stateFile) {
		t.Errorf("damaged labels: got error %v; want one naming %s", err, stateFile)
	}
}

func TestAddLoad(t *testing.T) {
	r := newRegistry(t, 0)
	in := stubArtifact(0.125)
	in.Notes = map[string]string{"by": "test"}
	for i := 1; i <= 3; i++ {
		v, err := r.Add(in, File{Name: "report.json", Data: []byte(`{"n":` + fmt.Sprint(i) + `}`)})
		if err != nil {
			t.Fatal(err)
		}
		if want := versionName(i); v != want {
			t.Errorf("add %d: got version %s; want %s", i, v, want)
		}
	}
	if in.Version != "" || !in.Created.IsZero() {
		t.Errorf("Add modified its argument: version %q, created %v", in.Version, in.Created)
	}
	a, err := r.Load("v2", testDecoders, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Version != "v0002" || a.PD(nil) != 0.125 || a.Notes["by"] != "test" {
		t.Errorf("got version %s PD %v notes %v; want v0002, 0.125, by=test", a.Version, a.PD(nil), a.Notes)
	}
	if want := time.Date(2026, 2, 1, 12, 2, 0, 0, time.UTC); !a.Created.Equal(want) {
		t.Errorf("got created %v; want the registry's clock %v", a.Created, want)
	}
	b, err := os.ReadFile(r.Path("v0003", "report.json"))
	if err != nil || string(b) != `{"n":3}` {
		t.Errorf("got report %q, %v; want {\"n\":3}", b, err)
	}

	// Created set by the trainer is kept.
	in.Created = time.Date(2025, 12, 24, 0, 0, 0, 0, time.UTC)
	v, err := r.Add(in)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := r.Load(v, testDecoders, nil); err != nil || !a.Created.Equal(in.Created) {
		t.Errorf("got created %v, %v; want %v", a.Created, err, in.Created)
	}

	for _, name := range []string{"", ".hidden", "../x", "a/b", ModelFile} {
		if _, err := r.Add(in, File{Name: name}); err == nil {
			t.Errorf("add with file %q: got no error", name)
		}
	}
	bad := stubArtifact(0.1)
	bad.Metrics = json.RawMessage("{")
	if _, err := r.Add(bad); err == nil {
		t.Errorf("add an unwritable artifact: got no error")
	}
	if v, err := r.Resolve(Latest); v != "v0004" || err != nil {
		t.Errorf("after failed adds: got latest %s, %v; want v0004", v, err)
	}
	assertNoTemp(t, r)
}

// assertNoTemp fails if any temporary file is left in the registry.
func assertNoTemp(t *testing.T, r *Registry) {
	t.Helper()
	err := filepath.WalkDir(r.dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && isTemp(d.Name()) {
			t.Errorf("temporary file left: %s", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestResolve(t *testing.T) {
	r := newRegistry(t, 3)
	if err := r.Promote("v0002"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref     string
		want    string
		wantErr error // nil with want "": any error
	}{
		{"latest", "v0003", nil},
		{"champion", "v0002", nil},
		{"v0001", "v0001", nil},
		{"v1", "v0001", nil},
		{"v003", "v0003", nil},
		{"v0004", "", ErrNotFound},
		{"challenger", "", ErrNotFound},
		{"no-such-label", "", ErrNotFound},
		{"", "", nil},
	}
	for _, tt := range tests {
		got, err := r.Resolve(tt.ref)
		switch {
		case tt.want != "" && (got != tt.want || err != nil):
			t.Errorf("Resolve(%q): got %q, %v; want %q", tt.ref, got, err, tt.want)
		case tt.want == "" && err == nil:
			t.Errorf("Resolve(%q): got %q; want an error", tt.ref, got)
		case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
			t.Errorf("Resolve(%q): got error %v; want %v", tt.ref, err, tt.wantErr)
		}
	}
	if _, err := newRegistry(t, 0).Resolve(Latest); !errors.Is(err, ErrNotFound) {
		t.Errorf("latest of an empty registry: got error %v; want ErrNotFound", err)
	}
}

// step is one operation of a label scenario and the champion after it.
type step struct {
	op       string // promote, rollback, set, remove
	ref      string // for promote and set
	label    string // for set and remove
	wantErr  error  // nil: no error
	champion string // after the step; "" none
}

func TestLabelSequences(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		// history is the number of champion changes recorded at the end.
		history int
	}{
		{"promote then roll back to the start", []step{
			{op: "rollback", wantErr: ErrNoPrevious},
			{op: "promote", ref: "v0001", champion: "v0001"},
			{op: "rollback", wantErr: ErrNoPrevious, champion: "v0001"},
			{op: "promote", ref: "v0002", champion: "v0002"},
			{op: "promote", ref: "v0003", champion: "v0003"},
			{op: "rollback", champion: "v0002"},
			{op: "rollback", champion: "v0001"},
			{op: "rollback", wantErr: ErrNoPrevious, champion: "v0001"},
		}, 5},
		{"a rolled-back champion is forgotten", []step{
			{op: "promote", ref: "v0001", champion: "v0001"},
			{op: "promote", ref: "v0002", champion: "v0002"},
			{op: "rollback", champion: "v0001"},
			{op: "promote", ref: "v0003", champion: "v0003"},
			{op: "rollback", champion: "v0001"},
		}, 5},
		{"promoting the champion again changes nothing", []step{
			{op: "promote", ref: "v0001", champion: "v0001"},
			{op: "promote", ref: "v1", champion: "v0001"},
			{op: "promote", ref: "champion", champion: "v0001"},
			{op: "promote", ref: "v0002", champion: "v0002"},
			{op: "rollback", champion: "v0001"},
		}, 3},
		{"a version promoted twice", []step{
			{op: "promote", ref: "v0001", champion: "v0001"},
			{op: "promote", ref: "v0002", champion: "v0002"},
			{op: "promote", ref: "v0001", champion: "v0001"},
			{op: "rollback", champion: "v0002"},
			{op: "rollback", champion: "v0001"},
		}, 5},
		{"promote the challenger", []step{
			{op: "promote", ref: "latest", champion: "v0003"},
			{op: "set", label: Challenger, ref: "v0001", champion: "v0003"},
			{op: "promote", ref: Challenger, champion: "v0001"},
			{op: "rollback", champion: "v0003"},
		}, 3},
		{"remove the champion, then undo", []step{
			{op: "promote", ref: "v0002", champion: "v0002"},
			{op: "remove", label: Champion},
			{op: "rollback", champion: "v0002"},
			{op: "rollback", wantErr: ErrNoPrevious, champion: "v0002"},
		}, 3},
		{"set champion by label", []step{
			{op: "set", label: Champion, ref: "v0003", champion: "v0003"},
			{op: "promote", ref: "v0001", champion: "v0001"},
			{op: "rollback", champion: "v0003"},
		}, 3},
		{"refused changes leave the champion", []step{
			{op: "promote", ref: "v0001", champion: "v0001"},
			{op: "promote", ref: "v0009", wantErr: ErrNotFound, champion: "v0001"},
			{op: "promote", ref: "no-label", wantErr: ErrNotFound, champion: "v0001"},
			{op: "set", label: "latest", ref: "v0002", wantErr: errAny, champion: "v0001"},
			{op: "set", label: "v0002", ref: "v0002", wantErr: errAny, champion: "v0001"},
			{op: "set", label: "Champion", ref: "v0002", wantErr: errAny, champion: "v0001"},
			{op: "set", label: Challenger, ref: "v0042", wantErr: ErrNotFound, champion: "v0001"},
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRegistry(t, 3)
			for i, s := range tt.steps {
				var err error
				switch s.op {
				case "promote":
					err = r.Promote(s.ref)
				case "rollback":
					var v string
					v, err = r.Rollback()
					if err == nil && v != s.champion {
						t.Errorf("step %d: Rollback returned %s; want %s", i+1, v, s.champion)
					}
				case "set":
					err = r.SetLabel(s.label, s.ref)
				case "remove":
					err = r.SetLabel(s.label, "")
				default:
					t.Fatalf("unknown op %q", s.op)
				}
				switch {
				case s.wantErr == nil && err != nil:
					t.Fatalf("step %d %s %s: %v", i+1, s.op, s.ref, err)
				case s.wantErr == errAny && err == nil, s.wantErr != nil && s.wantErr != errAny && !errors.Is(err, s.wantErr):
					t.Fatalf("step %d %s %s: got error %v; want %v", i+1, s.op, s.ref, err, s.wantErr)
				}
				if got := champion(t, r); got != s.champion {
					t.Fatalf("step %d %s %s: got champion %q; want %q", i+1, s.op, s.ref, got, s.champion)
				}
			}
			h, err := r.History(Champion)
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != tt.history {
				t.Errorf("got %d champion changes; want %d: %+v", len(h), tt.history, h)
			}
			checkChain(t, h)
		})
	}
}

var errAny = errors.New("any error")

// checkChain checks that every change of a label starts where the one
// before it ended: what a lost or torn update would break.
func checkChain(t *testing.T, h []LabelChange) {
	t.Helper()
	prev := map[string]string{}
	for i, c := range h {
		if c.Previous != prev[c.Label] {
			t.Errorf("change %d of %s: got previous %q; want %q (the version before it)", i+1, c.Label, c.Previous, prev[c.Label])
		}
		prev[c.Label] = c.Version
	}
}

func TestHistory(t *testing.T) {
	r := newRegistry(t, 2)
	for _, f := range []func() error{
		func() error { return r.Promote("v0001") },
		func() error { return r.SetLabel(Challenger, "v0002") },
		func() error { return r.Promote(Challenger) },
		func() error { _, err := r.Rollback(); return err },
		func() error { return r.SetLabel(Challenger, "") },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	all, err := r.History("")
	if err != nil {
		t.Fatal(err)
	}
	type change struct{ label, action, version, previous string }
	want := []change{
		{Champion, ActionPromote, "v0001", ""},
		{Challenger, ActionSet, "v0002", ""},
		{Champion, ActionPromote, "v0002", "v0001"},
		{Champion, ActionRollback, "v0001", "v0002"},
		{Challenger, ActionRemove, "", "v0002"},
	}
	if len(all) != len(want) {
		t.Fatalf("got %d changes; want %d: %+v", len(all), len(want), all)
	}
	for i, c := range all {
		if got := (change{c.Label, c.Action, c.Version, c.Previous}); got != want[i] {
			t.Errorf("change %d: got %+v; want %+v", i+1, got, want[i])
		}
		if i > 0 && !c.Time.After(all[i-1].Time) {
			t.Errorf("change %d: time %v not after %v", i+1, c.Time, all[i-1].Time)
		}
	}
	ch, err := r.History(Challenger)
	if err != nil || len(ch) != 2 {
		t.Errorf("got %d challenger changes, %v; want 2", len(ch), err)
	}
	labels, err := r.Labels()
	if err != nil || len(labels) != 1 || labels[Champion] != "v0001" {
		t.Errorf("got labels %v, %v; want only champion v0001", labels, err)
	}
}

func TestList(t *testing.T) {
	r := newRegistry(t, 3)
	if err := r.Promote("v0002"); err != nil {
		t.Fatal(err)
	}
	if err := r.SetLabel(Challenger, "v0002"); err != nil {
		t.Fatal(err)
	}
	if err := r.SetLabel("shadow", "v0003"); err != nil {
		t.Fatal(err)
	}
	if err := r.AddFile("v0001", "report.html", []byte("<html>")); err != nil {
		t.Fatal(err)
	}
	damage(t, r.Path("v0003", ModelFile))

	list, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		version, labels, files, family string
		pdAUC                          string
		broken                         bool
	}
	want := []row{
		{"v0001", "", "report.html", "stub", `{"auc":0.71}`, false},
		{"v0002", "challenger,champion", "", "stub", `{"auc":0.72}`, false},
		{"v0003", "shadow", "", "", "", true},
	}
	if len(list) != len(want) {
		t.Fatalf("got %d entries; want %d", len(list), len(want))
	}
	for i, e := range list {
		got := row{e.Version, strings.Join(e.Labels, ","), strings.Join(e.Files, ","), e.Family, string(e.Metrics), e.Error != ""}
		if got != want[i] {
			t.Errorf("entry %d: got %+v; want %+v (error %q)", i+1, got, want[i], e.Error)
		}
	}
	if !strings.Contains(list[2].Error, "checksum") {
		t.Errorf("got error %q; want the checksum mismatch", list[2].Error)
	}
	if list[0].Checksum == "" || list[0].Created.IsZero() {
		t.Errorf("got checksum %q, created %v; want both set", list[0].Checksum, list[0].Created)
	}
}

// damage flips one byte in the middle of a file.
func damage(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPromoteChecks(t *testing.T) {
	r := newRegistry(t, 3)
	if err := r.Promote("v0001"); err != nil {
		t.Fatal(err)
	}
	damage(t, r.Path("v0002", ModelFile))

	if err := r.Promote("v0002"); !errors.Is(err, artifact.ErrCorrupt) {
		t.Errorf("promote a damaged version: got error %v; want ErrCorrupt", err)
	}
	if err := r.SetLabel(Challenger, "v0002"); !errors.Is(err, artifact.ErrCorrupt) {
		t.Errorf("label a damaged version: got error %v; want ErrCorrupt", err)
	}
	if _, err := r.Load("v0002", testDecoders, nil); !errors.Is(err, artifact.ErrCorrupt) {
		t.Errorf("load a damaged version: got error %v; want ErrCorrupt", err)
	}

	var checked []string
	canServe := func(v string) error {
		checked = append(checked, v)
		_, err := r.Load(v, testDecoders, nil)
		return err
	}
	refuse := errors.New("validation report not signed off")
	if err := r.Promote("latest", canServe, func(string) error { return refuse }); !errors.Is(err, refuse) {
		t.Errorf("got error %v; want the check's error", err)
	}
	if err := r.Promote("latest", func(v string) error {
		_, err := r.Load(v, artifact.Decoders{"gbdt": decodeStubModel}, nil)
		return err
	}); !errors.Is(err, artifact.ErrUnknownFamily) {
		t.Errorf("promote a family this build cannot serve: got error %v; want ErrUnknownFamily", err)
	}
	if got := champion(t, r); got != "v0001" {
		t.Errorf("after refused promotions: got champion %s; want v0001", got)
	}
	if err := r.Promote("latest", canServe); err != nil {
		t.Fatal(err)
	}
	if want := []string{"v0003", "v0003"}; !slices.Equal(checked, want) {
		t.Errorf("checks got versions %q; want %q", checked, want)
	}

	// Rollback refuses a champion whose file was damaged since.
	if err := r.Promote("v0001"); err != nil {
		t.Fatal(err)
	}
	damage(t, r.Path("v0003", ModelFile))
	if _, err := r.Rollback(); !errors.Is(err, artifact.ErrCorrupt) {
		t.Errorf("roll back to a damaged version: got error %v; want ErrCorrupt", err)
	}
	if got := champion(t, r); got != "v0001" {
		t.Errorf("after a refused rollback: got champion %s; want v0001", got)
	}
}

func TestLoadChecksVersion(t *testing.T) {
	r := newRegistry(t, 2)
	// A model file copied by hand from one version to another.
	b, err := os.ReadFile(r.Path("v0001", ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.Path("v0002", ModelFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Load("v0002", testDecoders, nil); err == nil || !strings.Contains(err.Error(), `"v0001"`) {
		t.Errorf("got error %v; want one naming the artifact's own version", err)
	}
	if err := r.Promote("v0002"); err == nil {
		t.Errorf("promote a copied model file: got no error")
	}
}

func TestAddFile(t *testing.T) {
	r := newRegistry(t, 2)
	for _, content := range []string{"first", "second"} {
		if err := r.AddFile("latest", "report.html", []byte(content)); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(r.Path("v0002", "report.html")); string(b) != content || err != nil {
			t.Errorf("got %q, %v; want %q", b, err, content)
		}
	}
	tests := []struct {
		ref, name string
		wantErr   error // nil: any error
	}{
		{"v0009", "report.html", ErrNotFound},
		{"v0001", ModelFile, nil},
		{"v0001", "../labels.json", nil},
		{"v0001", ".report.html.tmp-1", nil},
		{"v0001", "", nil},
	}
	for _, tt := range tests {
		err := r.AddFile(tt.ref, tt.name, []byte("x"))
		if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
			t.Errorf("AddFile(%q, %q): got error %v; want %v", tt.ref, tt.name, err, cmp(tt.wantErr))
		}
	}
	if _, err := r.Load("v0001", testDecoders, nil); err != nil {
		t.Errorf("the model survives refused attachments: %v", err)
	}
	assertNoTemp(t, r)
}

func cmp(err error) any {
	if err == nil {
		return "an error"
	}
	return err
}

func TestLoadExact(t *testing.T) {
	r := newRegistry(t, 0)
	p := math.Nextafter(0.1, 1)
	if _, err := r.Add(stubArtifact(p)); err != nil {
		t.Fatal(err)
	}
	a, err := r.Load(Latest, testDecoders, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.PD(nil); math.Float64bits(got) != math.Float64bits(p) {
		t.Errorf("got PD %v; want %v bit for bit", got, p)
	}
}

// TestLabelsKeyOrder reads a labels file whose keys are not in the order
// this package writes them, as a hand edit might leave it.
func TestLabelsKeyOrder(t *testing.T) {
	r := newRegistry(t, 2)
	state := `{"history": [{"label": "champion", "action": "promote", "version": "v0002"}], "labels": {"champion": "v0002"}}`
	if err := os.WriteFile(filepath.Join(r.dir, stateFile), []byte(state), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := champion(t, r); got != "v0002" {
		t.Errorf("got champion %q; want v0002", got)
	}
	if err := r.Promote("v0001"); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Rollback(); got != "v0002" || err != nil {
		t.Errorf("rollback: got %q, %v; want v0002", got, err)
	}
}

// TestAddRendersWithVersion checks that a File's Render sees the version
// Add assigns, so a report can name it.
func TestAddRendersWithVersion(t *testing.T) {
	r := newRegistry(t, 2)
	v, err := r.Add(stubArtifact(0.3), File{Name: "card.txt", Render: func(v string) ([]byte, error) { return []byte("model " + v), nil }})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(r.Path(v, "card.txt"))
	if err != nil || string(b) != "model v0003" || v != "v0003" {
		t.Errorf("added %s with card %q (%v); want v0003 with \"model v0003\"", v, b, err)
	}
}
