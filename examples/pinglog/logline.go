package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeFormat is RFC 3339 in UTC with a fixed six-digit fraction, so that
// timestamps have one width and sort as text.
const timeFormat = "2006-01-02T15:04:05.000000Z07:00"

// stamp formats t for the log.
func stamp(t time.Time) string { return t.UTC().Format(timeFormat) }

// probeLine is one probe as logged.
type probeLine struct {
	Start, End time.Time
	Target     string
	Method     string
	Seq        int
	Result     Result
	Goroutines int // written when > 0
}

// String formats the probe as one line of space-separated key=value fields,
// without the newline:
//
//	start=2026-11-23T19:40:03.000123Z end=2026-11-23T19:40:03.000456Z target=127.0.0.1 method=icmp seq=2 result=ok rtt=0.333ms
//
// rtt= follows result=ok and result=refused-but-up; error="..." (a Go quoted
// string) follows result=error.
func (l probeLine) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "start=%s end=%s target=%s method=%s seq=%d result=%s",
		stamp(l.Start), stamp(l.End), l.Target, l.Method, l.Seq, l.Result.Status)
	switch l.Result.Status {
	case StatusOK, StatusRefused:
		b.WriteString(" rtt=" + formatRTT(l.Result.RTT))
	case StatusError:
		b.WriteString(" error=" + strconv.Quote(fmt.Sprint(l.Result.Err)))
	}
	if l.Goroutines > 0 {
		b.WriteString(" goroutines=" + strconv.Itoa(l.Goroutines))
	}
	return b.String()
}

// formatRTT writes d in milliseconds with microsecond precision: "0.333ms".
func formatRTT(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 3, 64) + "ms"
}

// eventLine formats a line about the daemon itself (start, stop, reopen,
// skipped ticks): a timestamp, "pinglog", then the message. Probe lines start
// with "start=", event lines with a digit.
func eventLine(t time.Time, format string, args ...any) string {
	return stamp(t) + " pinglog " + fmt.Sprintf(format, args...)
}
