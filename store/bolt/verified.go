package bolt

import (
	"encoding/json"
	"os"
	"sync/atomic"

	"go.etcd.io/bbolt"
)

// Open reads every page of a database before using it (checkPages), so a damaged file is
// refused with a clear message instead of crashing the process later. That walk costs as
// much as reading the whole file: 160 ms for a gigabyte in the page cache, seconds from
// the disk. It is needed only for a file pacer did not leave as it is, the way a file
// system checks itself only after an unclean unmount: when a process closes a database it
// writes PATH.checked with what identifies the file's state then (size, modification and
// change times, device and inode, last transaction), and the next Open skips the walk when
// the file is still in that state. A file changed by anything else, copied, restored, or
// left by a process that crashed after writing to it is walked again.
//
// Every page a pacer process writes is whole when its commit returns, and a file that was
// whole when opened stays so; what the marker cannot see is damage that leaves the file's
// size and times as they were.

// pageWalks counts the walks of checkPages, for tests.
var pageWalks atomic.Int64

func checkedPath(dbPath string) string { return dbPath + ".checked" }

// fileState identifies a database file's state for the check marker.
type fileState struct {
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"`
	File  string `json:"file,omitempty"` // device, inode and change time where known
	TxID  int    `json:"txid"`
}

func stateOf(fi os.FileInfo, txid int) fileState {
	return fileState{Size: fi.Size(), MTime: fi.ModTime().UnixNano(), File: fileIdentity(fi), TxID: txid}
}

// checkedBefore reports whether the marker says the file, as fi and btx show it, is as a
// pacer process left it.
func checkedBefore(dbPath string, fi os.FileInfo, btx *bbolt.Tx) bool {
	b, err := os.ReadFile(checkedPath(dbPath))
	if err != nil {
		return false
	}
	var was fileState
	return json.Unmarshal(b, &was) == nil && was == stateOf(fi, int(btx.ID()))
}

// writeChecked records the database's current state as checked. It is called while the
// process still holds the database, after its last write.
func (db *DB) writeChecked() error {
	btx, err := db.bdb.Begin(false)
	if err != nil {
		return err
	}
	txid := int(btx.ID())
	_ = btx.Rollback()
	fi, err := os.Stat(db.path)
	if err != nil {
		return err
	}
	b, err := json.Marshal(stateOf(fi, txid))
	if err != nil {
		return err
	}
	tmp := checkedPath(db.path) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, checkedPath(db.path)); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}
