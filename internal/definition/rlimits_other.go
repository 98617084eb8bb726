//go:build !linux && !openbsd

package definition

import "golang.org/x/sys/unix"

// limitNames maps --limit names to their resources, with systemd's
// directive for the export: the ones every Unix has, and RLIMIT_AS.
var limitNames = map[string]struct {
	resource int
	systemd  string
}{
	"cpu": {unix.RLIMIT_CPU, "LimitCPU"}, "fsize": {unix.RLIMIT_FSIZE, "LimitFSIZE"},
	"data": {unix.RLIMIT_DATA, "LimitDATA"}, "stack": {unix.RLIMIT_STACK, "LimitSTACK"},
	"core": {unix.RLIMIT_CORE, "LimitCORE"}, "nofile": {unix.RLIMIT_NOFILE, "LimitNOFILE"},
	"as": {unix.RLIMIT_AS, "LimitAS"},
}

// LimitsPossible refuses nothing here: setrlimit(2) says, at the start.
func LimitsPossible([]Limit) error { return nil }
