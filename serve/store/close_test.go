package store

import (
	"errors"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets"
)

// TestApplyAfterClose: a closed store refuses batches at once, however the
// request and the close meet.
func TestApplyAfterClose(t *testing.T) {
	for i := range 50 {
		s, err := Open(t.TempDir(), Options{Now: killNow})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := s.Apply([]Event{{Kind: DefaultRecorded, CustomerID: "C1", Date: datasets.YMD(2025, 1, 1)}})
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("try %d: Apply after Close: %v; want ErrClosed", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("try %d: Apply after Close did not return", i)
		}
	}
}

// TestCloseWhileApplying: callers applying while the store closes each get
// their batch committed or ErrClosed, and none waits forever.
func TestCloseWhileApplying(t *testing.T) {
	s, err := Open(t.TempDir(), Options{Now: killNow})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 4)
	for g := range 4 {
		go func() {
			for n := 0; ; n++ {
				_, evs := killBatch(0, g, n)
				if _, err := s.Apply(evs); err != nil {
					done <- err
					return
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		select {
		case err := <-done:
			if !errors.Is(err, ErrClosed) {
				t.Errorf("Apply during Close: %v; want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("an Apply during Close did not return")
		}
	}
}
