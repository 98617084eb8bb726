package proc

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ParseSignal parses a signal given by name or number: "TERM", "SIGTERM",
// "term" and "15" all mean SIGTERM. On Linux, real-time signals may be named
// as kill(1) names them: "RTMIN", "RTMIN+2", "RTMAX-1". Signal 0 is not
// accepted. The error names the bad input.
func ParseSignal(s string) (syscall.Signal, error) {
	if s == "" {
		return 0, fmt.Errorf("proc: empty signal name")
	}
	if isDigits(s) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxSignal {
			return 0, fmt.Errorf("proc: signal number %q out of range 1-%d", s, maxSignal)
		}
		return syscall.Signal(n), nil
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	switch name {
	case "IOT":
		name = "ABRT"
	case "CLD":
		name = "CHLD"
	}
	if sig := unix.SignalNum("SIG" + name); sig != 0 {
		return sig, nil
	}
	if sig, ok := parseRealtime(name); ok {
		return sig, nil
	}
	return 0, fmt.Errorf("proc: unknown signal %q", s)
}

// SignalName returns the name of sig without the "SIG" prefix ("TERM"),
// "RTMIN+n"/"RTMAX-n" for Linux real-time signals, or the decimal number for
// a signal without a name. ParseSignal accepts every result.
func SignalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return strings.TrimPrefix(name, "SIG")
	}
	if name, ok := realtimeName(sig); ok {
		return name
	}
	return strconv.Itoa(int(sig))
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
