package pgtest

import "syscall"

// serverAttr runs the server as cred; SIGQUIT, PostgreSQL's immediate shutdown, ends it when
// the tests go, even when they crash.
func serverAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
}
