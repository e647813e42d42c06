//go:build !unix

package cli

// ownerOnly does nothing where there is no umask (Windows): a socket there is as open as
// the directory that holds it, the user's own data directory by default.
func ownerOnly() (restore func()) { return func() {} }
