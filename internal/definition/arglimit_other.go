//go:build !linux

package definition

// MaxArgLen is 0 where the system has no limit on the length of one
// argument or environment string, only on their total (see the Linux
// version).
func MaxArgLen() int { return 0 }
