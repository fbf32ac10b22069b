package atomicfile

// Hooks for the external tests.
var (
	ProcessRunning = processRunning
	ErrCrashed     = errCrashed
)

// SetCrashHook makes Group.Commit stop where hook says, as a killed
// process would; nil restores normal commits.
func SetCrashHook(hook func(point string) bool) { crashHook = hook }
