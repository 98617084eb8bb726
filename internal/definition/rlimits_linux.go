package definition

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// limitNames maps --limit names to their resources, with systemd's
// directive for the export.
var limitNames = map[string]struct {
	resource int
	systemd  string
}{
	"cpu": {unix.RLIMIT_CPU, "LimitCPU"}, "fsize": {unix.RLIMIT_FSIZE, "LimitFSIZE"},
	"data": {unix.RLIMIT_DATA, "LimitDATA"}, "stack": {unix.RLIMIT_STACK, "LimitSTACK"},
	"core": {unix.RLIMIT_CORE, "LimitCORE"}, "rss": {unix.RLIMIT_RSS, "LimitRSS"},
	"nofile": {unix.RLIMIT_NOFILE, "LimitNOFILE"}, "as": {unix.RLIMIT_AS, "LimitAS"},
	"nproc": {unix.RLIMIT_NPROC, "LimitNPROC"}, "memlock": {unix.RLIMIT_MEMLOCK, "LimitMEMLOCK"},
	"locks": {unix.RLIMIT_LOCKS, "LimitLOCKS"}, "sigpending": {unix.RLIMIT_SIGPENDING, "LimitSIGPENDING"},
	"msgqueue": {unix.RLIMIT_MSGQUEUE, "LimitMSGQUEUE"}, "nice": {unix.RLIMIT_NICE, "LimitNICE"},
	"rtprio": {unix.RLIMIT_RTPRIO, "LimitRTPRIO"}, "rttime": {unix.RLIMIT_RTTIME, "LimitRTTIME"},
}

// LimitsPossible says why the limits could not be set in a child of this
// process, nil when they can: a nofile above fs.nr_open (no process may
// open that many), or a hard limit above this process's own without
// CAP_SYS_RESOURCE (setrlimit(2) refuses both). A start is refused at
// once with this rather than fail at every exec until the start limit.
func LimitsPossible(limits []Limit) error {
	for _, l := range limits {
		if l.Resource == unix.RLIMIT_NOFILE {
			if max, err := readUint("/proc/sys/fs/nr_open"); err == nil && l.Hard > max {
				return usagef("--limit %s: above fs.nr_open (%d), the most files a process may open on this system", l, max)
			}
		}
		var own unix.Rlimit
		if unix.Getrlimit(l.Resource, &own) != nil || l.Hard <= own.Max || own.Max == unix.RLIM_INFINITY {
			continue
		}
		if !hasCapSysResource() {
			return usagef("--limit %s: the hard limit is above tend's own (%d), which only a process with CAP_SYS_RESOURCE (root) may raise; lower it, or raise tend's (ulimit -H)", l, own.Max)
		}
	}
	return nil
}

// readUint reads a number from a file such as /proc/sys/fs/nr_open.
func readUint(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
}

// hasCapSysResource reports whether this process's effective
// capabilities hold CAP_SYS_RESOURCE.
func hasCapSysResource() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<unix.CAP_SYS_RESOURCE) != 0
		}
	}
	return false
}
