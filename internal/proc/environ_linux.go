package proc

import (
	"bytes"
	"os"
	"strconv"
)

// WithEnv returns the processes whose initial environment (as exec gave
// it: /proc/PID/environ) holds the entry key=value, among those the caller
// may read. A program can rewrite that memory (nginx's setproctitle does),
// so a miss proves nothing; a hit, taken with the process's start time, is
// that process.
func WithEnv(key, value string) []Identity {
	want := []byte(key + "=" + value)
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []Identity
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !hasEntry(b, want) {
			continue
		}
		if id, err := Lookup(pid); err == nil && id.Alive() {
			out = append(out, id)
		}
	}
	return out
}

func hasEntry(environ, entry []byte) bool {
	for len(environ) > 0 {
		kv, rest, _ := bytes.Cut(environ, []byte{0})
		if bytes.Equal(kv, entry) {
			return true
		}
		environ = rest
	}
	return false
}

// HasEnv reports whether pid's initial environment holds key=value (see
// WithEnv for what a miss means).
func HasEnv(pid int, key, value string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	return err == nil && hasEntry(b, []byte(key+"="+value))
}
