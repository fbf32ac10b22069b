//go:build unix

package registry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lock takes the registry's exclusive lock, waiting for another process
// (or goroutine) that holds it. The lock is an flock on DIR/lock: the
// kernel releases it when its holder exits, crashed or not, so a crash
// never leaves the registry locked. unlock releases it.
func (r *Registry) lock() (unlock func() error, err error) {
	path := filepath.Join(r.dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock registry: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("lock registry: %s: %w", path, err), f.Close())
	}
	return f.Close, nil // closing the file releases the lock
}
