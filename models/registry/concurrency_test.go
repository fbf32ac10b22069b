package registry

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestConcurrentPromotes(t *testing.T) {
	const n = 12
	r := newRegistry(t, n)
	versions := make([]string, n)
	for i := range versions {
		versions[i] = versionName(i + 1)
	}

	// Readers poll throughout; each must see a whole state.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readErrs := make(chan error, 2)
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, err := r.ChampionVersion()
				if err != nil && !errors.Is(err, ErrNotFound) || err == nil && !slices.Contains(versions, v) {
					readErrs <- fmt.Errorf("reader got %q, %v", v, err)
					return
				}
			}
		})
	}

	var writers sync.WaitGroup
	errs := make(chan error, 2*n)
	for i, v := range versions {
		writers.Go(func() {
			// Each goroutine opens its own Registry, as separate
			// processes would.
			ri, err := Open(r.dir)
			if err != nil {
				errs <- err
				return
			}
			errs <- ri.Promote(v)
			errs <- ri.SetLabel(Challenger, versions[(i+1)%n])
		})
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	close(readErrs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for err := range readErrs {
		t.Error(err)
	}

	h, err := r.History("")
	if err != nil {
		t.Fatal(err)
	}
	var promoted []string
	for _, c := range h {
		if c.Label == Champion {
			promoted = append(promoted, c.Version)
		}
	}
	// Every promotion is recorded once (none lost to an interleaved
	// read-modify-write) and each starts from the champion before it.
	slices.Sort(promoted)
	if !slices.Equal(promoted, versions) {
		t.Errorf("got promotions of %q; want each of %q once", promoted, versions)
	}
	checkChain(t, h)
	if got, last := champion(t, r), lastOf(h, Champion); got != last {
		t.Errorf("got champion %s; want %s, the last promoted", got, last)
	}
}

func lastOf(h []LabelChange, label string) string {
	v := ""
	for _, c := range h {
		if c.Label == label {
			v = c.Version
		}
	}
	return v
}

func TestConcurrentAdds(t *testing.T) {
	r := newRegistry(t, 0)
	const n = 8
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := r.Add(stubArtifact(float64(i) / 100))
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	wg.Wait()
	slices.Sort(got)
	for i, v := range got {
		if want := versionName(i + 1); v != want {
			t.Errorf("got versions %q; want v0001…v%04d, each once", got, n)
			break
		}
	}
	list, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.Error != "" {
			t.Errorf("%s: %s", e.Version, e.Error)
		}
	}
}

// TestProcessesPromote runs promotions from separate processes: the flock
// must serialise them as it does goroutines.
func TestProcessesPromote(t *testing.T) {
	if dir := os.Getenv("CREDENCE_REGISTRY_HELPER_DIR"); dir != "" {
		r, err := Open(dir)
		if err == nil {
			v := os.Getenv("CREDENCE_REGISTRY_HELPER_VERSION")
			for range 3 {
				if err = errors.Join(r.Promote(v), r.SetLabel(Challenger, v)); err != nil {
					break
				}
				if _, err = r.Rollback(); err != nil && !errors.Is(err, ErrNoPrevious) {
					break
				}
				err = nil
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	const n = 6
	r := newRegistry(t, n)
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestProcessesPromote$")
		cmds[i].Env = append(os.Environ(), "CREDENCE_REGISTRY_HELPER_DIR="+r.dir, "CREDENCE_REGISTRY_HELPER_VERSION="+versionName(i+1))
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	h, err := r.History("")
	if err != nil {
		t.Fatal(err)
	}
	promotions := 0
	for _, c := range h {
		if c.Action == ActionPromote {
			promotions++
		}
	}
	// A promotion of the champion is a no-op, so some may be skipped, but
	// each process's first one cannot be: it follows no rollback of its own.
	if promotions < n {
		t.Errorf("got %d promotions; want at least %d", promotions, n)
	}
	checkChain(t, h)
	checkStack(t, r, h)
}

// checkStack checks the champion is where the history says it is.
func checkStack(t *testing.T, r *Registry, h []LabelChange) {
	t.Helper()
	st := &state{History: h}
	stack := st.championStack()
	want := ""
	if len(stack) > 0 {
		want = stack[len(stack)-1]
	}
	if got := champion(t, r); got != want {
		t.Errorf("got champion %q; want %q from the history", got, want)
	}
}

// TestReadersDoNotBlock reads while another holder keeps the lock.
func TestReadersDoNotBlock(t *testing.T) {
	r := newRegistry(t, 2)
	if err := r.Promote("v0001"); err != nil {
		t.Fatal(err)
	}
	unlock, err := r.lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	done := make(chan error, 1)
	go func() {
		_, err1 := r.ChampionVersion()
		_, err2 := r.List()
		_, err3 := r.Load(Champion, testDecoders, nil)
		_, err4 := r.History("")
		_, err5 := Open(r.dir)
		done <- errors.Join(err1, err2, err3, err4, err5)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(30 * time.Second): // a deadlock, not a timing: the reads take milliseconds
		t.Fatal("readers waited for the lock")
	}

	// A change does wait for it.
	changed := make(chan error, 1)
	go func() { changed <- r.Promote("v0002") }()
	select {
	case err := <-changed:
		t.Fatalf("Promote ran while the lock was held (error %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := <-changed; err != nil {
		t.Fatal(err)
	}
	if got := champion(t, r); got != "v0002" {
		t.Errorf("got champion %s; want v0002", got)
	}
}
