package store

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets"
)

// The kill test's child: it applies batches until it is killed.
const (
	killChildEnv = "CREDENCE_STORE_KILL_CHILD" // the store directory
	killRoundEnv = "CREDENCE_STORE_KILL_ROUND"
)

const (
	killAppliers  = 4  // concurrent Apply callers, so that batches share commits
	killBatchCust = 4  // customers each batch touches
	killCustomers = 64 // customers in all
)

var killNow = func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }

// killBatch is batch n of applier g in round r: an invoice for each of
// killBatchCust customers, and a payment settling the first in full. Its
// presence is checkable: every invoice whose id starts with the batch id,
// and the payment, are there, or none is.
func killBatch(r, g, n int) (string, []Event) {
	id := fmt.Sprintf("r%02d-g%d-%06d", r, g, n)
	issue := datasets.YMD(2024, 1, 1) + datasets.Date(n%400)
	var evs []Event
	for k := range killBatchCust {
		c := fmt.Sprintf("K%03d", (g*17+n*5+k*killCustomers/killBatchCust)%killCustomers)
		evs = append(evs, Event{Kind: InvoiceIssued, CustomerID: c, Invoice: datasets.Invoice{InvoiceID: fmt.Sprintf("%s-%d", id, k),
			IssueDate: issue, DueDate: issue + 30, Amount: datasets.Amount(1000 + n), PaidDate: datasets.NoDate, PaidAmount: datasets.NoAmount}})
	}
	evs = append(evs, Event{ID: id + "-pay", Kind: PaymentReceived, CustomerID: evs[0].CustomerID, Invoice: datasets.Invoice{InvoiceID: id + "-0"},
		Date: issue + 10, Amount: datasets.Amount(1000 + n)})
	return id, evs
}

// killChild opens the store and applies batches from several goroutines,
// printing each batch's id once Apply has returned.
func killChild(dir string, round int) {
	s, err := Open(dir, Options{Now: killNow})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	fmt.Println("open")
	// Should the parent die, so does the child.
	time.AfterFunc(20*time.Second, func() { os.Exit(4) })
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range killAppliers {
		wg.Go(func() {
			for n := 0; ; n++ {
				id, evs := killBatch(round, g, n)
				res, err := s.Apply(evs)
				if err != nil {
					fmt.Fprintln(os.Stderr, "apply:", err)
					os.Exit(5)
				}
				for i, o := range res.Outcomes {
					if o.Status != Accepted {
						fmt.Fprintf(os.Stderr, "batch %s event %d: %v %v\n", id, i, o.Status, o.Err)
						os.Exit(6)
					}
				}
				mu.Lock()
				out.WriteString("ack " + id + "\n")
				out.Flush() // one write per line: the parent reads whole lines only
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestStoreSurvivesKill kills a process applying batches at random moments
// and checks, each time, that the store opens, that every acknowledged
// batch is there and that every batch is there whole or not at all.
func TestStoreSurvivesKill(t *testing.T) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		round, _ := strconv.Atoi(os.Getenv(killRoundEnv))
		killChild(dir, round)
		return
	}
	if testing.Short() {
		t.Skip("kills a child process about 25 times (a few seconds): not under -short")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(20261201, 7))
	acked := map[string]bool{}
	const rounds = 25
	var killedAfterAck int
	for round := range rounds {
		cmd := exec.Command(exe, "-test.run=^TestStoreSurvivesKill$", "-test.count=1")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir, killRoundEnv+"="+strconv.Itoa(round))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Lines are read as they come; a line cut by the kill has no
		// newline and does not count.
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			r := bufio.NewReader(stdout)
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					io.Copy(io.Discard, r)
					return
				}
				lines <- strings.TrimSuffix(l, "\n")
			}
		}()
		// Kill at a random moment: every fifth round while the store
		// opens, the others after a random number of acknowledged batches
		// and a random pause, while commits go on.
		n := 0
		if round%5 == 0 {
			time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
		} else {
			want, pause := 1+rng.IntN(100), time.Duration(rng.IntN(30))*time.Millisecond
			timeout := time.After(20 * time.Second)
		wait:
			for n < want {
				select {
				case l, ok := <-lines:
					if !ok {
						break wait
					}
					if id, ok := strings.CutPrefix(l, "ack "); ok {
						acked[id] = true
						n++
					}
				case <-timeout:
					cmd.Process.Kill()
					t.Fatalf("round %d: %d batches acknowledged in 20 s; want %d", round, n, want)
				}
			}
			time.Sleep(pause)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for l := range lines {
			if id, ok := strings.CutPrefix(l, "ack "); ok {
				acked[id] = true
				n++
			}
		}
		werr := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended %v before it was killed; stderr:\n%s", round, werr, stderr.String())
		}
		if n > 0 {
			killedAfterAck++
		}
		checkKilledStore(t, dir, round, acked)
	}
	t.Logf("%d rounds, %d killed after acknowledging batches, %d batches acknowledged", rounds, killedAfterAck, len(acked))
}

// checkKilledStore opens the store left by a kill and checks it.
func checkKilledStore(t *testing.T, dir string, round int, acked map[string]bool) {
	t.Helper()
	s, err := Open(dir, Options{Now: killNow})
	if err != nil {
		t.Fatalf("round %d: the store does not open after the kill: %v", round, err)
	}
	defer s.Close()
	// batch id → invoices of it found, and whether its payment is there.
	found := map[string]int{}
	paid := map[string]bool{}
	customers := 0
	err = s.Customers(context.Background(), func(h *datasets.History) error {
		customers++
		for _, inv := range h.Invoices {
			cut := strings.LastIndexByte(inv.InvoiceID, '-')
			if cut < 0 {
				return fmt.Errorf("customer %s: invoice %q is no batch's", h.CustomerID, inv.InvoiceID)
			}
			batch := inv.InvoiceID[:cut]
			found[batch]++
			if strings.HasSuffix(inv.InvoiceID, "-0") && inv.PaidDate != datasets.NoDate {
				paid[batch] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("round %d: read the store: %v", round, err)
	}
	if m := s.Meta(); m.Customers != int64(customers) {
		t.Errorf("round %d: meta counts %d customers; the store holds %d", round, m.Customers, customers)
	}
	for batch, n := range found {
		if n != killBatchCust || !paid[batch] {
			t.Errorf("round %d: batch %s is partly there: %d of %d invoices, paid %v", round, batch, n, killBatchCust, paid[batch])
		}
	}
	for batch := range acked {
		if found[batch] == 0 {
			t.Errorf("round %d: batch %s was acknowledged but is not in the store", round, batch)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}
