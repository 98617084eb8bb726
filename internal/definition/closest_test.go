package definition

import "testing"

// TestClosest: slips of the fingers are suggested; other words, however
// much they share with a candidate, are not (issue 24, item 15).
func TestClosest(t *testing.T) {
	commands := []string{"start", "stop", "restart", "reload", "scale", "status", "list", "ls", "logs", "log", "signal", "rm", "delete", "run", "up", "down", "export", "completion", "help", "version"}
	options := []string{"--watchdog", "--json", "-j", "--restart", "--ready", "--ready-timeout", "--backoff", "--backoff-max", "--follow", "-f"}
	for _, tc := range []struct {
		word       string
		candidates []string
		want       string
	}{
		{"strat", commands, "start"},
		{"stauts", commands, "status"},
		{"stat", commands, "status"},
		{"stp", commands, "stop"},
		{"lsit", commands, "list"},
		{"ps", commands, ""}, // not ls: two letters, one changed, is another word
		{"lo", commands, ""},
		{"xyzzy", commands, ""},
		{"--jsn", options, "--json"},
		{"--restrat", options, "--restart"},
		{"--follw", options, "--follow"},
		{"--backof", options, "--backoff"},
		{"--watch", options, ""}, // pm2's watch, not --watchdog
		{"restrat", []string{"restart", "ready"}, "restart"},
		{"stob", []string{"stop", "stub"}, ""}, // as near to both
	} {
		if got := Closest(tc.word, tc.candidates); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
