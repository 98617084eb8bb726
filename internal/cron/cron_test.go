package cron

import (
	"strings"
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	utc := time.UTC
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	at := func(loc *time.Location, s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		line     string
		loc      *time.Location
		from, to string
	}{
		{"*/5 * * * *", utc, "2026-03-01 10:02", "2026-03-01 10:05"},
		{"*/5 * * * *", utc, "2026-03-01 10:05", "2026-03-01 10:10"},
		{"0 * * * *", utc, "2026-03-01 10:00", "2026-03-01 11:00"},
		{"30 2 * * *", utc, "2026-12-31 03:00", "2027-01-01 02:30"},
		{"0 9 * * mon-fri", utc, "2026-03-06 10:00", "2026-03-09 09:00"}, // Friday -> Monday
		{"0 0 1,15 * *", utc, "2026-02-02 00:00", "2026-02-15 00:00"},
		{"0 0 13 * 5", utc, "2026-03-01 00:00", "2026-03-06 00:00"}, // a Friday or the 13th
		{"0 0 * * 7", utc, "2026-03-02 00:00", "2026-03-08 00:00"},  // 7 is Sunday
		{"0 0 29 2 *", utc, "2026-03-01 00:00", "2028-02-29 00:00"}, // the next leap year
		{"@hourly", utc, "2026-03-01 10:59", "2026-03-01 11:00"},
		{"10/20 * * * *", utc, "2026-03-01 10:31", "2026-03-01 10:50"},
		{"0 12 * JAN,jul *", utc, "2026-02-01 00:00", "2026-07-01 12:00"},
		{"0 9 * * *", paris, "2026-03-01 10:00", "2026-03-02 09:00"},
		{"30 2 * * *", paris, "2026-03-29 00:00", "2026-03-30 02:30"}, // 02:30 does not exist that night
	} {
		l, err := Parse(c.line)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.line, err)
		}
		if got, want := l.Next(at(c.loc, c.from)), at(c.loc, c.to); !got.Equal(want) {
			t.Errorf("%q after %s: %v, want %v", c.line, c.from, got, want)
		}
	}
	if l, _ := Parse("0 0 30 2 *"); !l.Next(time.Now()).IsZero() {
		t.Errorf("February 30th fired")
	}
}

func TestParseErrors(t *testing.T) {
	for line, want := range map[string]string{
		"* * * *":         "has 4 fields: want 5",
		"61 * * * *":      `minute field "61": "61": want a number from 0 to 59`,
		"* 24 * * *":      `hour field "24"`,
		"* * 0 * *":       `day of month field "0"`,
		"* * * 13 *":      `month field "13": "13": want a number from 1 to 12 or a name (jan...dec)`,
		"* * * * 8":       `day of week field "8"`,
		"* * * * fri-mon": "range fri-mon goes backwards",
		"*/0 * * * *":     `step "0"`,
		"1,,2 * * * *":    "empty",
		"@often":          "has 1 fields",
	} {
		_, err := Parse(line)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", line, err, want)
		}
	}
}
