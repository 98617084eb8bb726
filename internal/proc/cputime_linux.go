package proc

import (
	"bytes"
	"strconv"
	"time"
)

// userHZ is the unit of /proc/PID/stat's times on every Linux (USER_HZ).
const userHZ = 100

// CPUTime returns the CPU time that pid has used, in user and kernel
// mode, all its threads (those that ended too), from /proc/PID/stat;
// false when it cannot be read (the process is gone).
func CPUTime(pid int) (time.Duration, bool) {
	b, err := readProcFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, false
	}
	f := bytes.Fields(b[end+1:]) // field N is f[N-3]
	const utime, stime = 14, 15
	if len(f) < stime-2 {
		return 0, false
	}
	u, err1 := strconv.ParseUint(string(f[utime-3]), 10, 64)
	s, err2 := strconv.ParseUint(string(f[stime-3]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * time.Second / userHZ, true
}
