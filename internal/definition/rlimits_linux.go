package definition

import "golang.org/x/sys/unix"

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
