package logcap

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// unparse writes a Record back as the line it was parsed from.
func unparse(r Record) string {
	var b strings.Builder
	if !r.Time.IsZero() {
		var st stamper
		b.Write(st.format(r.Time))
		if r.Stream == "" && r.Continued {
			b.WriteString("+")
		}
		b.WriteString(" ")
	}
	if r.Stream != "" {
		b.WriteString(r.Stream)
		if r.HasInstance {
			b.WriteString("." + strconv.Itoa(r.Instance))
		}
		if r.Continued {
			b.WriteString("+")
		}
		b.WriteString(" ")
	}
	b.WriteString(r.Text)
	return b.String()
}

// FuzzParse checks that Parse never panics and loses nothing: the fields
// it finds, written back, are the line; and that a record as the capture
// writes it (timestamp, stream, a '+' when continued) parses back to its
// time, stream and text, whatever the text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"2026-11-23T19:45:12.123456Z stdout hi there\n",
		"2026-11-23T19:45:12.123456Z stderr+ part",
		"2026-11-23T19:45:12.123456Z+ part",
		"2026-11-23T19:45:12.123456Z text",
		"2026-11-23T19:45:12.123456Z",
		"stdout x", "logcap lost", "stdoutx", "plain", "", "\n",
		"2026-13-23T19:45:12.123456Z stdout bad month",
		"2026-11-23T19:45:12.123456Z stdout 2026-11-23T19:45:12.123456Z stdout nested",
	} {
		f.Add(s, int64(1795376712123456), true)
	}
	f.Fuzz(func(t *testing.T, line string, us int64, cont bool) {
		r := Parse(line)
		if want := strings.TrimSuffix(line, "\n"); unparse(r) != want {
			t.Fatalf("Parse(%q) = %+v, which writes back as %q", line, r, unparse(r))
		}
		if r.Stream != "" && r.Stream != Stdout && r.Stream != Stderr && r.Stream != Marker {
			t.Fatalf("Parse(%q): stream %q", line, r.Stream)
		}

		// A record as written, for any text without a newline, at a time
		// within the years the layout holds (1970 to 9999).
		text := strings.ReplaceAll(line, "\n", " ")
		const maxUs = 253402300799999999 // 9999-12-31T23:59:59.999999Z
		if us < 0 {
			us = -(us + 1)
		}
		at := time.UnixMicro(us % (maxUs + 1))
		for _, stream := range []string{Stdout, Stderr} {
			p := newPrefixer(stream, true, true)
			p.update(at)
			pre := p.whole
			if cont {
				pre = p.cont
			}
			got := Parse(string(pre) + text + "\n")
			want := Record{Time: at.UTC(), Stream: stream, Continued: cont, Text: text}
			if got != want {
				t.Fatalf("record %q parses as %+v, want %+v", string(pre)+text, got, want)
			}
		}
	})
}
