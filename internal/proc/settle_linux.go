package proc

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Presence says whether /proc knows a process.
type Presence int

// The presences of a process.
const (
	There   Presence = iota
	Gone             // no such process (any more)
	Unknown          // /proc does not say (another system, hidepid)
)

// ThreadsSleeping reports whether every thread of pid sleeps or is
// stopped, and returns their total run time from schedstat (nanoseconds,
// finer than stat's clock ticks). A zombie is not asleep: its parent is
// about to wake up for it.
func ThreadsSleeping(pid int) (sleeping bool, runtime uint64, p Presence) {
	base := "/proc/" + strconv.Itoa(pid) + "/task/"
	ents, err := os.ReadDir(base)
	switch {
	case os.IsNotExist(err), errors.Is(err, syscall.ESRCH): // ESRCH: it is exiting
		if _, serr := os.Stat("/proc/self/task"); serr != nil {
			return false, 0, Unknown
		}
		return false, 0, Gone
	case err != nil:
		return false, 0, Unknown
	}
	sleeping = true
	seen := 0
	for _, e := range ents {
		b, err := os.ReadFile(base + e.Name() + "/stat")
		if err != nil {
			continue // the thread ended
		}
		st, err := parseStat(b)
		if err != nil {
			continue
		}
		s, err := os.ReadFile(base + e.Name() + "/schedstat")
		if err != nil {
			if _, serr := os.Stat(base + e.Name()); serr != nil {
				continue // the thread ended meanwhile
			}
			return false, 0, Unknown // no schedstat here
		}
		seen++
		switch st.State {
		case 'S', 'T', 't', 'I':
		default:
			sleeping = false
		}
		if f := bytes.Fields(s); len(f) > 0 {
			n, _ := strconv.ParseUint(string(f[0]), 10, 64)
			runtime += n
		}
	}
	if seen == 0 {
		// Every thread ended while we looked: the process is exiting,
		// not asleep.
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
			return false, 0, Gone
		}
		return false, 0, There
	}
	return sleeping, runtime, There
}

// Settled looks at pid twice, quiet apart: it has settled (yes) if all
// its threads sleep both times, using at most cpu (a fraction of one
// CPU) in between, and its descendants (a shell's command, a wrapper's
// program, which it may wait for) sleep too. known is false where /proc
// cannot tell. Finding the descendants may mean reading every process's
// stat, which is why it is done only once the process looks asleep.
func Settled(pid int, quiet time.Duration, cpu float64) (yes, known bool) {
	first, rt1, p := ThreadsSleeping(pid)
	switch {
	case p == Unknown:
		return false, false
	case p == Gone || !first:
		return false, true
	}
	begin := time.Now()
	time.Sleep(quiet)
	second, rt2, p := ThreadsSleeping(pid)
	window := time.Since(begin)
	if p != There || !second || rt2 < rt1 || float64(rt2-rt1) > cpu*float64(window) {
		return false, true
	}
	kids, _ := Descendants(pid)
	for _, c := range kids {
		if asleep, _, p := ThreadsSleeping(c); p == There && !asleep {
			return false, true
		}
	}
	return true, true
}
