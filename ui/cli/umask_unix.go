//go:build unix

package cli

import "syscall"

// ownerOnly makes the files this process creates until restore is called open to their
// owner alone.
func ownerOnly() (restore func()) {
	old := syscall.Umask(0o077)
	return func() { syscall.Umask(old) }
}
