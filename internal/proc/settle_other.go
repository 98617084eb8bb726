//go:build !linux

package proc

import "time"

// Presence says whether /proc knows a process.
type Presence int

// The presences of a process.
const (
	There   Presence = iota
	Gone             // no such process (any more)
	Unknown          // /proc does not say (another system, hidepid)
)

// ThreadsSleeping cannot tell without /proc.
func ThreadsSleeping(pid int) (sleeping bool, runtime uint64, p Presence) { return false, 0, Unknown }

// Settled cannot tell without /proc (known false).
func Settled(pid int, quiet time.Duration, cpu float64) (yes, known bool) { return false, false }
