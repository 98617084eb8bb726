//go:build linux

package proc

import (
	"fmt"
	"testing"
)

func TestParseStat(t *testing.T) {
	tail := " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 20 21 22 23 24 25\n"
	tests := []struct {
		name, in string
		want     stat
		wantErr  bool
	}{
		{"plain", "17 (sleep) S" + tail, stat{PID: 17, Comm: "sleep", State: 'S', PPID: 1, PGID: 2, SID: 3, StartTime: 424242}, false},
		{"spaces", "17 (a b c) R" + tail, stat{PID: 17, Comm: "a b c", State: 'R', PPID: 1, PGID: 2, SID: 3, StartTime: 424242}, false},
		{"parens", "17 (x) S 9 (y)) Z" + tail, stat{PID: 17, Comm: "x) S 9 (y)", State: 'Z', PPID: 1, PGID: 2, SID: 3, StartTime: 424242}, false},
		{"empty comm", "1 () S" + tail, stat{PID: 1, Comm: "", State: 'S', PPID: 1, PGID: 2, SID: 3, StartTime: 424242}, false},
		{"no comm", "17 sleep S" + tail, stat{}, true},
		{"no pid", "(sleep) S" + tail, stat{}, true},
		{"bad pid", "x7 (sleep) S" + tail, stat{}, true},
		{"short", "17 (sleep) S 1 2 3", stat{}, true},
		{"bad start", "17 (sleep) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 -1 20", stat{}, true},
		{"bad state", "17 (sleep) SS" + tail, stat{}, true},
		{"empty", "", stat{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStat(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("parseStat(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestReadStatSelf(t *testing.T) {
	s, err := readStat(syscallGetpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.PID != syscallGetpid() || s.StartTime == 0 || s.State == 'Z' {
		t.Errorf("readStat(self) = %+v", s)
	}
}

// FuzzParseStat checks that parsing never panics and that any comm, however
// many spaces and parentheses it holds, survives a round trip.
func FuzzParseStat(f *testing.F) {
	f.Add("sleep", uint64(1))
	f.Add("a) b (c", uint64(99))
	f.Add(") ) )", uint64(0))
	f.Add("x\n1 (y) S", uint64(1<<63))
	f.Fuzz(func(t *testing.T, comm string, start uint64) {
		parseStat([]byte(comm)) // arbitrary input: must not panic
		line := fmt.Sprintf("42 (%s) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 %d 1 2 3\n", comm, start)
		got, err := parseStat([]byte(line))
		if err != nil {
			t.Fatalf("parseStat(%q): %v", line, err)
		}
		want := stat{PID: 42, Comm: comm, State: 'S', PPID: 1, PGID: 42, SID: 42, StartTime: start}
		if got != want {
			t.Fatalf("parseStat(%q) = %+v, want %+v", line, got, want)
		}
	})
}
