package main

import (
	"errors"
	"time"
)

// go-systemd's daemon package does not build for NetBSD (it asks
// golang.org/x/sys/unix for CLOCK_MONOTONIC, which x/sys lacks there), so
// on NetBSD the readiness helpers have no sd_notify client: the tests that
// use them run on Linux only.
var errNoGoSystemd = errors.New("go-systemd's daemon package does not build for NetBSD")

func goSystemdNotify(string) (bool, error) { return false, errNoGoSystemd }

func goSystemdWatchdog() (time.Duration, error) { return 0, errNoGoSystemd }
