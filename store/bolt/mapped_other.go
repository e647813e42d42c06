//go:build !linux

package bolt

// unmapPages does nothing where the process's mappings can't be listed.
func unmapPages(data uintptr, path string) {}
