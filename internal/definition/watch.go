package definition

import (
	"path"
	"strings"
	"time"
)

// DefaultWatchDebounce is how long --watch waits for changes to stop
// before it restarts the daemon.
const DefaultWatchDebounce = 300 * time.Millisecond

// DefaultWatchIgnore returns the folders --watch always leaves out, at
// any depth (the daemon's own logs are left out too, by the supervisor).
func DefaultWatchIgnore() []string { return []string{".git", "node_modules", "__pycache__"} }

// WatchDebounceOrDefault is the quiet time before a --watch restart.
func (d *Definition) WatchDebounceOrDefault() time.Duration {
	if d.WatchDebounce > 0 {
		return d.WatchDebounce
	}
	return DefaultWatchDebounce
}

// WatchReloads says whether a change that --watch sees reloads the
// daemon (tend reload) rather than restarting it: it serves --listen
// sockets and says when it is ready (--ready), or reloads itself on a
// signal (--reload-signal).
func (d *Definition) WatchReloads() bool {
	return len(d.Listen) > 0 && d.Ready != "" && d.Ready != ReadySettled || d.ReloadSignal != ""
}

func (d *Definition) validateWatch() error {
	for _, l := range []struct {
		flag string
		v    []string
	}{{"watch", d.Watch}, {"watch-ignore", d.WatchIgnore}} {
		for _, g := range l.v {
			if strings.HasPrefix(g, "-") {
				return usagef("--%s %q: want a GLOB such as '*.py' after --%s, not an option", l.flag, g, l.flag)
			}
			if strings.IndexFunc(g, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
				return usagef("--%s %q holds a control character", l.flag, g)
			}
			for _, part := range strings.Split(g, "/") {
				if _, err := path.Match(part, ""); err != nil {
					return usagef("--%s %q: not a glob: %v (quote [ and ] with \\\\)", l.flag, g, err)
				}
			}
		}
	}
	if len(d.WatchIgnore) > 0 && len(d.Watch) == 0 {
		return usagef("--watch-ignore leaves files out of --watch: give --watch GLOB too")
	}
	if d.WatchDebounce < 0 {
		return usagef("--watch-debounce %v: must not be negative", d.WatchDebounce)
	}
	return nil
}
