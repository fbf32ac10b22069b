package atomicfile

import "os"

// Hooks for the external tests.
var (
	ProcessRunning = processRunning
	ErrCrashed     = errCrashed
)

// SetCrashHook makes Group.Commit stop where hook says, as a killed
// process would; nil restores normal commits.
func SetCrashHook(hook func(point string) bool) { crashHook = hook }

// SetLink replaces the hard-link call of Group.Commit; nil restores it.
func SetLink(f func(oldname, newname string) error) {
	if f == nil {
		f = os.Link
	}
	link = f
}
