package main

import (
	"io"
	"strings"
	"unicode/utf8"
)

// ANSI colors for states, on a terminal (see colors).
const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
)

// cell is one cell of a table: its text and, on a terminal, its color.
type cell struct {
	text  string
	color string
}

// table writes rows in aligned columns, two spaces apart, colors left out
// of the widths; the last column is not padded.
type table struct {
	rows   [][]cell
	colors bool
}

func (t *table) add(cells ...cell) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		b.Reset()
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			if t.colors && c.color != "" {
				b.WriteString(c.color + c.text + ansiReset)
			} else {
				b.WriteString(c.text)
			}
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)))
			}
		}
		b.WriteByte('\n')
		io.WriteString(w, b.String())
	}
}

// stateColor is the color a state is shown in: green when running, yellow
// on its way, red when something is wrong, dim when stopped.
func stateColor(state string, code int) string {
	switch state {
	case "running":
		return ansiGreen
	case "starting", "stopping", "restarting":
		return ansiCyan
	case "backing-off":
		return ansiYellow
	case "failed", "dead", "lost":
		return ansiRed + ansiBold
	case "exited":
		if code != 0 {
			return ansiRed
		}
	}
	return ansiDim
}
