//go:build !linux

package bolt

import "os"

// fileIdentity is empty where the file's inode and change time are not read: the marker
// then relies on size, modification time and transaction.
func fileIdentity(os.FileInfo) string { return "" }
