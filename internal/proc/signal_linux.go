package proc

import (
	"strconv"
	"strings"
	"syscall"
)

// Linux signal numbers run to 64. The kernel's real-time signals start at
// 32, but glibc reserves 32 and 33 for itself, so the SIGRTMIN that programs
// (and kill(1)) see is 34.
const (
	maxSignal = 64
	rtMin     = 34
	rtMax     = 64
)

// parseRealtime parses "RTMIN", "RTMIN+n", "RTMAX" and "RTMAX-n".
func parseRealtime(name string) (syscall.Signal, bool) {
	base, sign, rest := 0, 0, ""
	switch {
	case strings.HasPrefix(name, "RTMIN"):
		base, sign, rest = rtMin, 1, name[len("RTMIN"):]
	case strings.HasPrefix(name, "RTMAX"):
		base, sign, rest = rtMax, -1, name[len("RTMAX"):]
	default:
		return 0, false
	}
	if rest == "" {
		return syscall.Signal(base), true
	}
	op := "+"
	if sign < 0 {
		op = "-"
	}
	if !strings.HasPrefix(rest, op) || !isDigits(rest[1:]) {
		return 0, false
	}
	n, err := strconv.Atoi(rest[1:])
	if err != nil || n > rtMax-rtMin {
		return 0, false
	}
	return syscall.Signal(base + sign*n), true
}

// realtimeName names real-time signals the way bash's kill -l does.
func realtimeName(sig syscall.Signal) (string, bool) {
	n := int(sig)
	switch {
	case n == rtMin:
		return "RTMIN", true
	case n == rtMax:
		return "RTMAX", true
	case n > rtMin && n <= (rtMin+rtMax)/2:
		return "RTMIN+" + strconv.Itoa(n-rtMin), true
	case n > (rtMin+rtMax)/2 && n < rtMax:
		return "RTMAX-" + strconv.Itoa(rtMax-n), true
	}
	return "", false
}
