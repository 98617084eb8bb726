package pidfile

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// hasOpen reports whether process pid has f's file open, looking through
// its descriptors in /proc (a process of another user's, unreadable, has
// not).
func hasOpen(pid int, f *os.File, _ int) bool {
	var want unix.Stat_t
	if unix.Fstat(int(f.Fd()), &want) != nil {
		return false
	}
	fds := "/proc/" + strconv.Itoa(pid) + "/fd/"
	entries, err := os.ReadDir(fds)
	if err != nil {
		return false
	}
	for _, e := range entries {
		var st unix.Stat_t
		if unix.Stat(fds+e.Name(), &st) == nil && st.Dev == want.Dev && st.Ino == want.Ino {
			return true
		}
	}
	return false
}
