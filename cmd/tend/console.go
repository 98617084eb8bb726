package main

import (
	"bytes"
	"io"
	"sync"
)

// console is a standard output that several goroutines share: tend up
// --foreground's report lines and the daemons' output it shows. A write
// goes out in pieces of whole lines, at most consoleChunk bytes each
// (a longer line alone), one writer at a time: a large write to a pipe
// read slowly never holds the output for more than one piece, and a
// writer that waits takes its turn next (a sync.Mutex hands over to a
// goroutine that has waited a millisecond). The daemons' output once
// kept a report line, and with it tend up's handling of SIGTERM, waiting
// behind megabytes written in one call (issue 25.5).
type console struct {
	mu sync.Mutex
	w  io.Writer
}

// consoleChunk bounds one write of a console.
const consoleChunk = 16 << 10

func (c *console) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := len(p)
		if k > consoleChunk {
			k = consoleChunk
			if i := bytes.LastIndexByte(p[:k], '\n'); i >= 0 {
				k = i + 1
			} else if j := bytes.IndexByte(p[k:], '\n'); j >= 0 {
				k += j + 1
			} else {
				k = len(p)
			}
		}
		c.mu.Lock()
		m, err := c.w.Write(p[:k])
		c.mu.Unlock()
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}
