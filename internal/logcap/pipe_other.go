//go:build !linux

package logcap

import "os"

// growPipe does nothing where pipe buffers cannot be resized.
func growPipe(*os.File, int) {}
