package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// systemFacts returns the kernel, the CPU model and the memory.
func systemFacts() (kernel, cpu, memory string) {
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		kernel = "Linux " + utsString(u.Release[:]) + " " + utsString(u.Machine[:])
	}
	cpu = "unknown model"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.Join(strings.Fields(v), " ")
				break
			}
		}
	}
	memory = "unknown"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kib int64
		for _, l := range strings.Split(string(b), "\n") {
			if _, err := fmt.Sscanf(l, "MemTotal: %d kB", &kib); err == nil {
				memory = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
				break
			}
		}
	}
	return kernel, cpu, memory
}

func utsString(b []int8) string {
	var s strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		s.WriteByte(byte(c))
	}
	return s.String()
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
