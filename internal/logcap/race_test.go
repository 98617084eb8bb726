//go:build race

package logcap

const raceEnabled = true
