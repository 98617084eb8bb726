//go:build unix

package keeper

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// HostFD is the host's descriptor for its end of the socket pair.
const HostFD = 3

const (
	// maxInline is the largest message sent as a datagram of its own;
	// a larger one (a definition with a big environment) travels in a
	// memory file.
	maxInline = 60 << 10
	// maxFiles bounds the descriptors of one message (the kernel's
	// SCM_MAX_FD is 253).
	maxFiles = 250
	// maxBig bounds a message read from a memory file.
	maxBig = 64 << 20
)

// Frame flags: the first byte of a datagram.
const (
	frameInline = 'i'
	frameBig    = 'b' // the message is in the last descriptor
)

// conn is one end of the socket pair.
type conn struct {
	c   *net.UnixConn
	wmu sync.Mutex
	buf []byte
	oob []byte
}

// newPair makes a connected SOCK_SEQPACKET socket pair: the keeper's end,
// and the host's as a file to pass.
func newPair() (*conn, *os.File, error) {
	fds, err := cloexecSocketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("keeper: socket pair: %w", err)
	}
	mine := os.NewFile(uintptr(fds[0]), "keeper")
	c, err := fileConn(mine)
	mine.Close()
	if err != nil {
		unix.Close(fds[1])
		return nil, nil, err
	}
	return c, os.NewFile(uintptr(fds[1]), "host"), nil
}

// fileConn makes a conn of a socket's file (which the caller still owns).
func fileConn(f *os.File) (*conn, error) {
	nc, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("keeper: socket: %w", err)
	}
	uc, ok := nc.(*net.UnixConn)
	if !ok {
		nc.Close()
		return nil, errors.New("keeper: socket: not a unix socket")
	}
	return &conn{c: uc, buf: make([]byte, maxInline+1), oob: make([]byte, unix.CmsgSpace(maxFiles*4))}, nil
}

func (c *conn) close() error { return c.c.Close() }

// send writes one message with its descriptors (which stay the
// caller's). It is safe for concurrent use.
func (c *conn) send(m *Message, files []*os.File) error {
	if len(files) > maxFiles-1 {
		return fmt.Errorf("keeper: %s: %d descriptors, at most %d", m.Kind, len(files), maxFiles-1)
	}
	var b bytes.Buffer
	b.WriteByte(frameInline)
	if err := gob.NewEncoder(&b).Encode(m); err != nil {
		return fmt.Errorf("keeper: encode %s: %w", m.Kind, err)
	}
	data := b.Bytes()
	if len(data) > maxInline {
		big, err := memFile(data[1:])
		if err != nil {
			return fmt.Errorf("keeper: %s: %w", m.Kind, err)
		}
		defer big.Close()
		files = append(files[:len(files):len(files)], big)
		data = []byte{frameBig}
	}
	fds := make([]int, len(files))
	for i, f := range files {
		fd, err := rawFD(f)
		if err != nil {
			return fmt.Errorf("keeper: send %s: %w", m.Kind, err)
		}
		fds[i] = fd
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, _, err := c.c.WriteMsgUnix(data, oob, nil)
	if err != nil {
		return fmt.Errorf("keeper: send %s: %w", m.Kind, err)
	}
	return nil
}

// recv reads one message and its descriptors (now the caller's, close
// on exec). It is for one goroutine at a time. At the peer's end it
// returns io.EOF.
func (c *conn) recv() (*Message, []*os.File, error) {
	n, oobn, flags, _, err := c.c.ReadMsgUnix(c.buf, c.oob)
	if err != nil {
		return nil, nil, fmt.Errorf("keeper: receive: %w", err)
	}
	files, ferr := parseRights(c.oob[:oobn])
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	switch {
	case ferr != nil:
		closeAll()
		return nil, nil, ferr
	case n == 0 && oobn == 0:
		return nil, nil, io.EOF
	case flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0:
		closeAll()
		return nil, nil, errors.New("keeper: receive: a message was truncated")
	case n == 0:
		closeAll()
		return nil, nil, errors.New("keeper: receive: an empty message")
	}
	data := c.buf[1:n]
	if c.buf[0] == frameBig {
		if len(files) == 0 {
			return nil, nil, errors.New("keeper: receive: a large message without its file")
		}
		big := files[len(files)-1]
		files = files[:len(files)-1]
		data, err = io.ReadAll(io.LimitReader(io.NewSectionReader(big, 0, maxBig), maxBig))
		big.Close()
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("keeper: receive: %w", err)
		}
	}
	var m Message
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&m); err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("keeper: decode: %w", err)
	}
	return &m, files, nil
}

// parseRights returns the descriptors of SCM_RIGHTS messages, close on
// exec.
func parseRights(oob []byte) ([]*os.File, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("keeper: receive: %w", err)
	}
	var files []*os.File
	for _, cm := range msgs {
		fds, err := unix.ParseUnixRights(&cm)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			files = append(files, os.NewFile(uintptr(fd), "received"))
		}
	}
	return files, nil
}

// rawFD returns f's descriptor without what os.File.Fd does besides: Fd
// puts the descriptor in blocking mode, and so the open file description
// it shares with the host's copy (a listening socket whose Accept could
// then no longer be interrupted, pipes read by the netpoller). The
// descriptor is valid while f is open.
func rawFD(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	fd := -1
	if err := rc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return 0, err
	}
	return fd, nil
}
