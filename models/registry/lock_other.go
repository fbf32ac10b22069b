//go:build !unix

package registry

import "sync"

// processLock serialises changes within this process only: this platform
// has no flock, so changes from several processes are not serialised.
var processLock sync.Mutex

func (r *Registry) lock() (unlock func() error, err error) {
	processLock.Lock()
	return func() error { processLock.Unlock(); return nil }, nil
}
