package proc

import (
	"bytes"
	"os"
	"strconv"
)

// ResidentBytes returns the memory that pid holds in RAM (its resident set
// size, from /proc/PID/statm), or 0 where it cannot be read.
func ResidentBytes(pid int) int64 {
	b, err := readProcFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return pages * int64(os.Getpagesize())
}
