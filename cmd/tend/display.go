package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/logcap"
)

// shellQuote writes cmd as a shell command line that runs it again: each
// word single-quoted when it needs quoting ("--save ”", "'a b'").
func shellQuote(cmd []string) string {
	words := make([]string, len(cmd))
	for i, w := range cmd {
		words[i] = shellWord(w)
	}
	return strings.Join(words, " ")
}

func shellWord(w string) string {
	if w == "" {
		return "''"
	}
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,^", r)) {
			return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return w
}

// commandText is a daemon's command as the user gave it, shell-quoted,
// with " (on a tty)" for --tty.
func commandText(cmd []string) string {
	s := shellQuote(userCommand(cmd))
	if ttyWrapped(cmd) {
		s += " (on a tty)"
	}
	return s
}

// lastStderr returns the text of the last n lines the daemon wrote to
// stderr since its last start (at since, if not zero), from its log at
// path: the lines without their timestamp and stream. A log written
// without stream names (--no-timestamps) gives its last lines, whatever
// the stream.
func lastStderr(path string, n int, since time.Time) []string {
	if path == "" {
		return nil
	}
	lines, err := logcap.Tail(path, n, logcap.Filter{Stream: logcap.Stderr, Since: since.Add(-time.Millisecond)})
	if err == nil && len(lines) == 0 {
		if all, err := logcap.Tail(path, n, logcap.Filter{}); err == nil && len(all) > 0 && logcap.Parse(all[len(all)-1]).Stream == "" {
			lines = all
		}
	}
	var out []string
	for _, l := range lines {
		r := logcap.Parse(l)
		if r.Stream == logcap.Marker {
			continue
		}
		out = append(out, r.Text)
	}
	return out
}

// printLines prints a heading and indented lines to stderr.
func printLines(heading string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(os.Stderr, heading)
	for _, l := range lines {
		fmt.Fprintf(os.Stderr, "  %s\n", l)
	}
}

// logTail prints the last lines of the daemon's log to stderr, for a
// start that failed.
func logTail(name, path string) {
	if path == "" {
		return
	}
	lines, err := logcap.Tail(path, 10, logcap.Filter{})
	if err != nil {
		return
	}
	printLines(fmt.Sprintf("last lines of %s's log (%s):", name, path), lines)
}

// bufferingHint says, after a start, why a Python program's output may
// not show in its log, and what to do: Python buffers what it writes to a
// pipe in blocks of 8 KiB. fromFile says that the daemon comes from a
// file of tend up, where the fix goes.
func bufferingHint(def *definition.Definition, fromFile string) {
	if def.TTY || len(def.Command) == 0 {
		return
	}
	prog := filepath.Base(def.Command[0])
	if !strings.HasPrefix(prog, "python") {
		return
	}
	for _, a := range def.Command[1:] {
		if a == "-u" || strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "u") && !strings.ContainsAny(a, "cmW") {
			return
		}
		if !strings.HasPrefix(a, "-") {
			break
		}
	}
	env, _ := def.Environment()
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == "PYTHONUNBUFFERED" && v != "" {
			return
		}
	}
	fix := fmt.Sprintf("tend start %s --env PYTHONUNBUFFERED=1 ... (or --tty, or python -u)", def.Name)
	if fromFile != "" {
		fix = fmt.Sprintf("PYTHONUNBUFFERED=1 in its env (%s: env, or a .env beside a Procfile), or tty = true, or python -u", filepath.Base(fromFile))
	}
	fmt.Fprintf(os.Stderr, "note: %s: Python holds back its output when it writes to a pipe, so its lines reach the log late, in blocks;\n"+
		"      to see them as they are printed: %s\n", def.Name, fix)
}

// humanBytes writes a size as ps and top do: 1.5M, 812K.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
	case n >= 10<<20:
		return fmt.Sprintf("%.0fM", float64(n)/(1<<20))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
