package logcap

import (
	"strings"
	"time"
)

// stampLen is the length of a record timestamp, "2006-01-02T15:04:05.000000Z".
const stampLen = 27

// stamper formats timestamps, reformatting the date and time only when the
// second changes and writing the microseconds by hand.
type stamper struct {
	sec int64
	buf [stampLen]byte
	ok  bool
}

func (s *stamper) format(t time.Time) []byte {
	t = t.UTC()
	if sec := t.Unix(); !s.ok || sec != s.sec {
		b := t.AppendFormat(s.buf[:0], "2006-01-02T15:04:05")
		if len(b) != 19 { // year outside 0000..9999: keep the layout fixed
			b = time.Time{}.AppendFormat(s.buf[:0], "2006-01-02T15:04:05")
		}
		s.buf[19] = '.'
		s.buf[26] = 'Z'
		s.sec, s.ok = sec, true
	}
	us := t.Nanosecond() / 1000
	for i := 25; i >= 20; i-- {
		s.buf[i] = byte('0' + us%10)
		us /= 10
	}
	return s.buf[:]
}

// prefixer builds the two prefixes of a record: for a whole line (or the
// last part of a split one) and for a part that continues in the next
// record. They are rebuilt once per read, so all lines from one read(2)
// carry the same timestamp.
type prefixer struct {
	ts     bool
	stream string // "" when stream names are off
	st     stamper
	whole  []byte
	cont   []byte
}

func newPrefixer(stream string, ts, names bool) *prefixer {
	p := &prefixer{ts: ts}
	if names {
		p.stream = sanitizeStream(stream)
	}
	p.whole = make([]byte, 0, stampLen+len(p.stream)+3)
	p.cont = make([]byte, 0, stampLen+len(p.stream)+3)
	if !ts {
		p.build(nil)
	}
	return p
}

// raw reports whether records have no prefix at all.
func (p *prefixer) raw() bool { return !p.ts && p.stream == "" }

// update stamps the prefixes with t.
func (p *prefixer) update(t time.Time) {
	if p.ts {
		p.build(p.st.format(t))
	}
}

func (p *prefixer) build(stamp []byte) {
	b := append(p.whole[:0], stamp...)
	if p.stream != "" {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, p.stream...)
	}
	p.whole = append(b, ' ')
	p.cont = append(append(p.cont[:0], b...), '+', ' ')
	if len(b) == 0 { // raw: no prefix, and no room to mark continuation
		p.whole, p.cont = p.whole[:0], p.cont[:0]
	}
}

// sanitizeStream keeps the stream field one token: spaces, '+' and control
// characters become '_'.
func sanitizeStream(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == '+' || r == 0x7f {
			return '_'
		}
		return r
	}, s)
}
