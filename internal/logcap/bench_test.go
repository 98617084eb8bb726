package logcap

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchBlock is 1 MiB of 100-byte lines.
func benchBlock() []byte {
	line := []byte("2026-11-23 an ordinary log line of one hundred bytes, give or take nothing at all: 0123456789abcdef\n")
	line = line[:99]
	line = append(line, '\n')
	b := make([]byte, 0, 1<<20)
	for len(b)+len(line) <= 1<<20 {
		b = append(b, line...)
	}
	return b
}

// feedPipe writes block n times into a new pipe in 64 KiB writes, as a
// buffered child would, and returns the read end.
func feedPipe(b *testing.B, block []byte, n int) *os.File {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		defer w.Close()
		for range n {
			for p := block; len(p) > 0; p = p[min(len(p), 64<<10):] {
				if _, err := w.Write(p[:min(len(p), 64<<10)]); err != nil {
					return
				}
			}
		}
	}()
	return r
}

// BenchmarkCapture measures capture throughput of 100-byte lines from a
// pipe into a rotated file; compare with BenchmarkDirectWrite.
func BenchmarkCapture(b *testing.B) {
	block := benchBlock()
	for _, c := range []struct {
		name string
		opts Options
		// watch: captured with a LineWatch (--ready log:REGEX) that
		// is disarmed, as it is once the daemon is ready.
		watch bool
	}{
		{"raw", Options{NoTimestamps: true, NoStreamNames: true}, false},
		{"stream", Options{NoTimestamps: true}, false},
		{"default", Options{}, false},
		{"default-watched", Options{}, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			opts := c.opts
			opts.Path = filepath.Join(b.TempDir(), "output.log")
			l, err := Open(opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(block)))
			b.ResetTimer()
			capture := func(stream string, r io.Reader) error { return l.Capture(stream, r) }
			if c.watch {
				capture = func(stream string, r io.Reader) error { return l.CaptureWatched(stream, r, new(LineWatch)) }
			}
			if err := capture(Stdout, feedPipe(b, block, b.N)); err != nil {
				b.Fatal(err)
			}
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkDirectWrite is the reference: the same bytes written straight to
// a file in 64 KiB writes, rotating every 10 MiB by reopening.
func BenchmarkDirectWrite(b *testing.B) {
	block := benchBlock()
	path := filepath.Join(b.TempDir(), "output.log")
	b.SetBytes(int64(len(block)))
	var f *os.File
	var size int
	for range b.N {
		if f == nil || size >= DefaultMaxSize {
			if f != nil {
				f.Close()
			}
			os.Remove(path)
			f, _ = os.OpenFile(path, openFlags, 0o640)
			size = 0
		}
		for p := block; len(p) > 0; p = p[min(len(p), 64<<10):] {
			f.Write(p[:min(len(p), 64<<10)])
		}
		size += len(block)
	}
	f.Close()
}

// rotW removes and recreates its file every DefaultMaxSize bytes.
type rotW struct {
	path string
	f    *os.File
	size int
}

func (w *rotW) Write(p []byte) (int, error) {
	if w.f == nil || w.size >= DefaultMaxSize {
		if w.f != nil {
			w.f.Close()
		}
		os.Remove(w.path)
		w.f, _ = os.OpenFile(w.path, openFlags, 0o640)
		w.size = 0
	}
	w.size += len(p)
	return w.f.Write(p)
}

// BenchmarkPipeCopy is the bound for any pipe-fed capture: io.CopyBuffer
// from the pipe to a file (rotated like BenchmarkDirectWrite), no framing.
func BenchmarkPipeCopy(b *testing.B) {
	block := benchBlock()
	path := filepath.Join(b.TempDir(), "output.log")
	b.SetBytes(int64(len(block)))
	r := feedPipe(b, block, b.N)
	growPipe(r, 1<<20)
	buf := make([]byte, 1<<20)
	io.CopyBuffer(&rotW{path: path}, r, buf)
}
