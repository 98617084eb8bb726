package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// ErrNoServer is wrapped by [Call]'s error when nothing listens on the
// socket path: the file is missing, or it is a socket nobody answers on
// (the supervisor is not running).
var ErrNoServer = errors.New("control: no supervisor is listening")

// ErrUntrustedPeer is wrapped by [Call]'s error when the process behind
// the socket runs as a user other than the caller or root.
var ErrUntrustedPeer = errors.New("control: untrusted peer")

// Call sends req to the server at path and returns its response. It checks
// first that the server runs as the caller's effective uid or as root
// ([ErrUntrustedPeer] otherwise). ctx bounds the whole exchange, including
// the time the handler takes; with no deadline in ctx Call waits as long
// as the server takes.
//
// An error means no valid response arrived. A response with OK false is
// returned with a nil error: the server answered, and refused or failed.
// When nothing listens at path the error wraps [ErrNoServer].
func Call(ctx context.Context, path string, req Request) (Response, error) {
	if dl, ok := ctx.Deadline(); ok {
		req.Deadline = dl
	}
	msg, err := encode(req)
	if err != nil {
		return Response{}, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) && (errno == syscall.ENOENT || errno == syscall.ECONNREFUSED) {
			return Response{}, fmt.Errorf("%w on %s: %w", ErrNoServer, path, errno)
		}
		return Response{}, fmt.Errorf("control: connect to %s: %w", path, err)
	}
	c := conn.(*net.UnixConn)
	defer c.Close()

	uid, err := peerUID(c)
	if err != nil {
		return Response{}, fmt.Errorf("%w; not talking to %s", err, path)
	}
	if euid := os.Geteuid(); !trusted(uid, euid) {
		return Response{}, fmt.Errorf("%w: %s is served by uid %d, not by you (uid %d) or root; "+
			"refusing to talk to it: check who created it", ErrUntrustedPeer, path, uid, euid)
	}

	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) }) // wake blocked I/O
	defer stop()

	// A server that refuses us answers without reading, so our write may
	// fail (EPIPE) while its answer waits to be read: read regardless.
	_, werr := c.Write(msg)
	var resp Response
	if rerr := decode(c, &resp); rerr != nil {
		if errors.Is(rerr, os.ErrDeadlineExceeded) {
			// Every deadline on c comes from ctx, whose own timer may fire
			// a moment after the socket's.
			<-ctx.Done()
		}
		switch {
		case ctx.Err() != nil:
			return Response{}, fmt.Errorf("control: %s on %s: %w", req.Op, path, context.Cause(ctx))
		case werr != nil:
			return Response{}, fmt.Errorf("control: send %s to %s: %w", req.Op, path, werr)
		}
		return Response{}, fmt.Errorf("control: read reply to %s from %s: %w", req.Op, path, rerr)
	}
	return resp, nil
}
