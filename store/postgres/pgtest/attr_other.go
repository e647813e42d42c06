//go:build !linux

package pgtest

import "syscall"

// serverAttr runs the server as cred. Without Linux's parent-death signal, a server left
// behind by a crashed test binary has to be stopped by hand.
func serverAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}
