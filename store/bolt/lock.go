package bolt

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// processStarted is when this process started, as near as the package can tell.
var processStarted = time.Now()

// LockedError is returned by Open when another process has the database open.
type LockedError struct {
	// Path is the database file.
	Path string
	// PID is the process holding the database, 0 when unknown.
	PID int
	// Started is when that process started, zero when unknown.
	Started time.Time
}

func (e *LockedError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("pacer is already running: the database is held by another process (database %s)", e.Path)
	}
	started := "at an unknown time"
	if !e.Started.IsZero() {
		started = e.Started.Format(time.RFC3339)
	}
	return fmt.Sprintf("pacer is already running: pid %d, started %s (database %s)", e.PID, started, e.Path)
}

// lockInfo is the content of the sidecar file PATH.lock-info that the process holding a
// database writes, so that another process failing to open it can say who holds it.
type lockInfo struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

func lockInfoPath(dbPath string) string { return dbPath + ".lock-info" }

// writeLockInfo records this process as the holder of the database at dbPath. It is called
// only while holding the database's lock, and replaces the file atomically so a reader
// never sees half of it. A stale file left by a process that died is simply replaced.
func writeLockInfo(dbPath string) error {
	b, err := json.Marshal(lockInfo{PID: os.Getpid(), Started: processStarted.Truncate(time.Second)})
	if err != nil {
		return err
	}
	tmp := lockInfoPath(dbPath) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, lockInfoPath(dbPath)); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// removeLockInfo removes the sidecar; called while still holding the lock, so it never
// removes the file of the next holder.
func removeLockInfo(dbPath string) error {
	err := os.Remove(lockInfoPath(dbPath))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// lockedError describes who holds dbPath, from its sidecar when there is one.
func lockedError(dbPath string) *LockedError {
	e := &LockedError{Path: dbPath}
	b, err := os.ReadFile(lockInfoPath(dbPath))
	if err != nil {
		return e
	}
	var info lockInfo
	if json.Unmarshal(b, &info) != nil || info.PID <= 0 {
		return e
	}
	e.PID, e.Started = info.PID, info.Started
	return e
}
