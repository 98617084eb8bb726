//go:build unix

package logcap

import (
	"os"
	"syscall"
)

// nlink returns the file's link count, or 1 if unknown.
func nlink(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Nlink)
	}
	return 1
}

// inode returns the file's inode number, or 0 if unknown.
func inode(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Ino)
	}
	return 0
}
