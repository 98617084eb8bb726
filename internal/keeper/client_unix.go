//go:build unix

package keeper

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// ErrGone is wrapped by the errors of a Client whose keeper is gone.
var ErrGone = errors.New("keeper: gone")

// Client is the host's end of the socket pair. Its methods are safe for
// concurrent use.
type Client struct {
	c         *conn
	keeperPID int

	mu     sync.Mutex
	nextID uint64
	calls  map[uint64]chan *Message
	err    error // why the connection ended

	exitq  []Exit
	exitc  chan struct{} // wakes the forwarder
	exits  chan []Exit
	closed chan struct{}
}

// Hello is what a new host learns from its keeper when it connects.
type Hello struct {
	KeeperPID int
	// Children are the live children the keeper forked for the hosts
	// before this one, with their tags; Exits the exits of tagged
	// children that none of them acknowledged.
	Children []Child
	Exits    []Exit
	// Hosts are the hosts the keeper started before this one (pid and
	// start time), whose records this one may take over.
	Hosts []Child
	// Stored are the descriptors the keeper holds, by key: now also
	// this host's, which closes them when done.
	Stored map[string][]*os.File
}

// Connect takes the host's end of the socket pair (HostFD, as passed by
// the keeper), reads the keeper's hello, and starts listening.
func Connect(f *os.File) (*Client, *Hello, error) {
	c, err := fileConn(f)
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	h := &Hello{Stored: map[string][]*os.File{}}
	for done := false; !done; {
		m, files, err := c.recv()
		if err != nil {
			c.close()
			return nil, nil, fmt.Errorf("keeper: hello: %w", err)
		}
		switch m.Kind {
		case kindHello:
			h.KeeperPID, h.Children, h.Exits, h.Hosts = m.KeeperPID, m.Children, m.Exits, m.Hosts
		case kindStored:
			h.Stored[m.Key] = files
			files = nil
		case kindHelloEnd:
			done = true
		}
		for _, f := range files {
			f.Close()
		}
	}
	cl := &Client{c: c, keeperPID: h.KeeperPID, calls: map[uint64]chan *Message{},
		exitc: make(chan struct{}, 1), exits: make(chan []Exit), closed: make(chan struct{})}
	go cl.read()
	go cl.forward()
	return cl, h, nil
}

// KeeperPID is the keeper's pid: the parent of every process it forks.
func (cl *Client) KeeperPID() int { return cl.keeperPID }

// Exits delivers the keeper's reports of children it reaped, in order.
// The connection reads on whether or not anyone takes them.
func (cl *Client) Exits() <-chan []Exit { return cl.exits }

// Closed is closed when the connection to the keeper has ended.
func (cl *Client) Closed() <-chan struct{} { return cl.closed }

// read dispatches the keeper's messages until the connection ends.
func (cl *Client) read() {
	for {
		m, files, err := cl.c.recv()
		for _, f := range files {
			f.Close()
		}
		if err != nil {
			cl.mu.Lock()
			cl.err = fmt.Errorf("%w: %w", ErrGone, err)
			for id, ch := range cl.calls {
				close(ch)
				delete(cl.calls, id)
			}
			cl.mu.Unlock()
			close(cl.closed)
			return
		}
		switch m.Kind {
		case kindSpawned:
			cl.mu.Lock()
			ch := cl.calls[m.ID]
			delete(cl.calls, m.ID)
			cl.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		case kindExits:
			cl.mu.Lock()
			cl.exitq = append(cl.exitq, m.Exits...)
			cl.mu.Unlock()
			select {
			case cl.exitc <- struct{}{}:
			default:
			}
		}
	}
}

// forward hands the queued exits to Exits, so that read never waits for
// whoever takes them.
func (cl *Client) forward() {
	for {
		select {
		case <-cl.exitc:
		case <-cl.closed:
			return
		}
		cl.mu.Lock()
		batch := cl.exitq
		cl.exitq = nil
		cl.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		select {
		case cl.exits <- batch:
		case <-cl.closed:
			return
		}
	}
}

func (cl *Client) gone() error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.err != nil {
		return cl.err
	}
	return ErrGone
}

// Spawn has the keeper start a process, and returns its pid and start
// time. An error of the start itself is an *os.PathError, as
// os.StartProcess's, with its errno (errors.Is(err, fs.ErrNotExist)).
func (cl *Client) Spawn(spec *Spec, files []*os.File) (pid int, start uint64, err error) {
	ch := make(chan *Message, 1)
	cl.mu.Lock()
	if cl.err != nil {
		cl.mu.Unlock()
		return 0, 0, cl.err
	}
	cl.nextID++
	id := cl.nextID
	cl.calls[id] = ch
	cl.mu.Unlock()
	if err := cl.c.send(&Message{Kind: kindSpawn, ID: id, Spawn: spec}, files); err != nil {
		cl.mu.Lock()
		delete(cl.calls, id)
		cl.mu.Unlock()
		return 0, 0, err
	}
	m, ok := <-ch
	switch {
	case !ok:
		return 0, 0, cl.gone()
	case m.Errno != 0:
		return 0, 0, &os.PathError{Op: "fork/exec", Path: spec.Path, Err: syscall.Errno(m.Errno)}
	case m.Err != "":
		return 0, 0, errors.New(m.Err)
	}
	return m.PID, m.Start, nil
}

// Store has the keeper hold files under key (replacing what it held
// there) and give them to every host after this one.
func (cl *Client) Store(key string, files ...*os.File) error {
	return cl.c.send(&Message{Kind: kindStore, Key: key}, files)
}

// Drop has the keeper close what it holds under key and under key/.
func (cl *Client) Drop(key string) error { return cl.c.send(&Message{Kind: kindDrop, Key: key}, nil) }

// Ack tells the keeper that the exits of pids are recorded: a host after
// this one need not hear of them.
func (cl *Client) Ack(pids ...int) error {
	return cl.c.send(&Message{Kind: kindAck, PIDs: pids}, nil)
}

// Serving tells the keeper that the host answers its socket.
func (cl *Client) Serving() error { return cl.c.send(&Message{Kind: kindServing}, nil) }

// Shutdown tells the keeper that the host is about to exit for good:
// the keeper exits after it.
func (cl *Client) Shutdown() error { return cl.c.send(&Message{Kind: kindShutdown}, nil) }

// Upgrade tells the keeper to execute path in its place once the host
// has exited, keeping its children and what it stores; the new keeper
// starts a new host.
func (cl *Client) Upgrade(path string) error {
	return cl.c.send(&Message{Kind: kindUpgrade, Path: path}, nil)
}
