//go:build !netbsd

package main

import (
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"
)

// The readiness helpers speak sd_notify through go-systemd, as any Go
// service that supports systemd does (gosystemd_netbsd_test.go says why
// not there).

func goSystemdNotify(state string) (bool, error) { return sddaemon.SdNotify(false, state) }

func goSystemdWatchdog() (time.Duration, error) { return sddaemon.SdWatchdogEnabled(false) }
