package definition

import "os"

// MaxArgLen is the longest single argument or environment string, in
// bytes, that execve(2) accepts: Linux refuses (E2BIG) any string of
// MAX_ARG_STRLEN (32 pages) or more bytes, its terminating NUL included.
// A daemon whose command or environment breaks it could never start.
func MaxArgLen() int { return 32*os.Getpagesize() - 1 }
