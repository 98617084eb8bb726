// Package cron reads five-field cron lines (minute, hour, day of month,
// month, day of week), as crontab(5) and systemd's users write them, and
// says when such a line next fires.
//
// A field is *, a number, a range (1-5), a name (jan-dec, sun-sat, in
// either case), any of these with a step (*/15, 1-30/5, 10/5), or a list of
// them (1,15,30). Day of week counts 0 or 7 as Sunday. When both the day of
// month and the day of week are restricted (neither starts with *), a day
// matches if either does, as in Vixie cron. The @yearly (@annually),
// @monthly, @weekly, @daily (@midnight) and @hourly shorthands are read
// too. Errors name the field and say what it takes.
package cron

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Line is a parsed cron line.
type Line struct {
	text string
	// One bit per value that matches.
	minute, hour, dom, month, dow uint64
	// domStar and dowStar: the field starts with *, so that the other
	// day field alone decides (see the package doc).
	domStar, dowStar bool
}

// field describes one of the five fields.
type field struct {
	name     string
	min, max int
	names    []string // names of min, min+1...
}

var fields = [5]field{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{name: "day of week", min: 0, max: 7, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

var shorthands = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// Parse reads a cron line: five fields separated by blanks, or a shorthand.
func Parse(text string) (*Line, error) {
	s := strings.TrimSpace(text)
	if full, ok := shorthands[strings.ToLower(s)]; ok {
		s = full
	}
	parts := strings.Fields(s)
	if len(parts) != 5 {
		return nil, fmt.Errorf("cron line %q has %d fields: want 5 (minute hour day-of-month month day-of-week), such as \"*/5 * * * *\"", text, len(parts))
	}
	l := &Line{text: text}
	bits := [5]*uint64{&l.minute, &l.hour, &l.dom, &l.month, &l.dow}
	for i, p := range parts {
		b, err := fields[i].parse(p)
		if err != nil {
			return nil, fmt.Errorf("cron line %q: %s field %q: %v", text, fields[i].name, p, err)
		}
		*bits[i] = b
	}
	if l.dow&(1<<7) != 0 {
		l.dow |= 1 // 7 is Sunday too
	}
	l.domStar, l.dowStar = strings.HasPrefix(parts[2], "*"), strings.HasPrefix(parts[4], "*")
	return l, nil
}

// String returns the line as given.
func (l *Line) String() string { return l.text }

func (f *field) parse(s string) (uint64, error) {
	var bits uint64
	for _, item := range strings.Split(s, ",") {
		b, err := f.item(item)
		if err != nil {
			return 0, err
		}
		bits |= b
	}
	return bits, nil
}

// item reads one element of a list: *, N, N-M or a name, with an
// optional /STEP.
func (f *field) item(s string) (uint64, error) {
	rng, stepText, hasStep := strings.Cut(s, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepText)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("step %q: want a whole number of 1 or more, as in */15", stepText)
		}
		step = n
	}
	lo, hi := f.min, f.max
	if f.name == "day of week" {
		hi = 6 // * is Sunday to Saturday, once each
	}
	switch {
	case rng == "*":
	case rng == "":
		return 0, fmt.Errorf("empty: want *, a number from %d to %d%s, a range or a list", f.min, f.max, f.nameNote())
	default:
		a, b, isRange := strings.Cut(rng, "-")
		var err error
		if lo, err = f.value(a); err != nil {
			return 0, err
		}
		hi = lo
		if isRange {
			if hi, err = f.value(b); err != nil {
				return 0, err
			}
			if hi < lo {
				return 0, fmt.Errorf("range %s goes backwards: want the lower end first", rng)
			}
		} else if hasStep {
			hi = f.max // 10/5: from 10 to the end, every 5
		}
	}
	var bits uint64
	for v := lo; v <= hi; v += step {
		bits |= 1 << v
	}
	return bits, nil
}

func (f *field) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < f.min || n > f.max {
		return 0, fmt.Errorf("%q: want a number from %d to %d%s", s, f.min, f.max, f.nameNote())
	}
	return n, nil
}

func (f *field) nameNote() string {
	if len(f.names) == 0 {
		return ""
	}
	return fmt.Sprintf(" or a name (%s...%s)", f.names[0], f.names[len(f.names)-1])
}

// Next returns the first time after t, to the minute, at which the line
// fires, in t's location (its wall clock: 02:30 does not happen on a day
// whose clocks skip it); zero if none within five years (February 30th).
func (l *Line) Next(t time.Time) time.Time {
	loc := t.Location()
	t = t.Truncate(time.Minute).Add(time.Minute)
	end := t.AddDate(5, 0, 0)
	for t.Before(end) {
		y, mo, d := t.Date()
		switch {
		case l.month&(1<<uint(mo)) == 0:
			t = time.Date(y, mo+1, 1, 0, 0, 0, 0, loc)
		case !l.dayMatches(t):
			t = time.Date(y, mo, d+1, 0, 0, 0, 0, loc)
		case l.hour&(1<<uint(t.Hour())) == 0:
			t = time.Date(y, mo, d, t.Hour()+1, 0, 0, 0, loc)
		case l.minute&(1<<uint(t.Minute())) == 0:
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

func (l *Line) dayMatches(t time.Time) bool {
	dom := l.dom&(1<<uint(t.Day())) != 0
	dow := l.dow&(1<<uint(t.Weekday())) != 0
	if l.domStar || l.dowStar {
		return dom && dow
	}
	return dom || dow
}

// The fields, for Values.
const (
	Minute = iota
	Hour
	DayOfMonth
	Month
	DayOfWeek
)

// Values returns the values that field (Minute...DayOfWeek) matches, in
// order (Sunday is 0), or nil when it is unrestricted (it starts with *,
// as in * and */1; a day field so restricted ANDs with the other, see
// the package doc).
func (l *Line) Values(field int) []int {
	bits := [5]uint64{l.minute, l.hour, l.dom, l.month, l.dow}[field]
	f := fields[field]
	hi := f.max
	if field == DayOfWeek {
		hi = 6
	}
	var out []int
	for v := f.min; v <= hi; v++ {
		if bits&(1<<v) != 0 {
			out = append(out, v)
		}
	}
	if len(out) == hi-f.min+1 && (field != DayOfMonth || l.domStar) && (field != DayOfWeek || l.dowStar) {
		return nil
	}
	return out
}

// Star reports whether a day field starts with *: the line's days are
// then those of the other day field alone.
func (l *Line) Star(field int) bool {
	if field == DayOfWeek {
		return l.dowStar
	}
	return l.domStar
}
