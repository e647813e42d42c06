package bolt

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// unmapPages drops this process's mappings of the database's pages: madvise(MADV_DONTNEED)
// on bbolt's shared, read-only mapping of the file, which starts at data. The pages stay in
// the page cache, unchanged; the next read maps them again. Without it the process's
// resident size grows to the size of the database as transactions touch its pages (and the
// kernel maps up to 16 cached neighbours around every page read), though the memory is the
// page cache's.
//
// The range comes from /proc/self/maps: the mapping of path that starts at data, so nothing
// else can be touched. It must run while bbolt cannot replace its mapping: inside a write
// transaction, before the commit.
func unmapPages(data uintptr, path string) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// start-end perms offset dev inode path
		line := sc.Bytes()
		dash, sp := bytes.IndexByte(line, '-'), bytes.IndexByte(line, ' ')
		if dash < 0 || sp < dash {
			continue
		}
		start, err := strconv.ParseUint(string(line[:dash]), 16, 64)
		if err != nil || uintptr(start) != data {
			continue
		}
		end, err := strconv.ParseUint(string(line[dash+1:sp]), 16, 64)
		if err != nil || end <= start || !bytes.HasSuffix(line, []byte(" "+path)) {
			return
		}
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), syscall.MADV_DONTNEED)
		return
	}
}
