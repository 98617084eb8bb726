package main

import (
	"strings"

	"github.com/tendhq/tend/internal/client"
)

// hookRows adds to `tend status` why --watch is off, if it is, and the
// last --on-exit or --on-failure hook run: which, how it ended, the last
// line it wrote.
func hookRows(v *client.View, row func(k, format string, args ...any)) {
	if v.WatchError != "" {
		row("watch", "off: %s", v.WatchError)
	}
	h := v.Hook
	if h == nil {
		return
	}
	how := "running"
	switch {
	case h.Err != "":
		how = "could not run: " + h.Err
	case h.Exit != nil:
		how = h.Exit.Description
	}
	row("last hook", "%s %s (%s ago): %s", h.Hook, how, since(h.StartedAt), h.Command)
	if out := h.Output; out != "" {
		if i := strings.LastIndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
		row("hook output", "%s", out)
	}
}
