//go:build !linux

package proc

import "syscall"

// maxSignal is the highest signal number on the BSDs and macOS (NSIG-1).
const maxSignal = 31

func parseRealtime(string) (syscall.Signal, bool) { return 0, false }

func realtimeName(syscall.Signal) (string, bool) { return "", false }
