// Command server is the reload benchmark's daemon: an HTTP server on the
// socket tend hands it (LISTEN_FDS, fd 3) that says it is ready with a
// newline on fd 4, answers every request with its pid and TEND_INSTANCE,
// and on SIGTERM stops accepting and answers what it accepted before it
// exits: what a server must do for a reload to lose nothing.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

func main() {
	fl, err := net.FileListener(os.NewFile(3, "listen"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
	ln := &draining{Listener: fl}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d %s\n", os.Getpid(), os.Getenv("TEND_INSTANCE"))
	})}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-term
		srv.SetKeepAlivesEnabled(false)
		fl.Close()
	}()
	if f := os.NewFile(4, "ready"); f != nil {
		f.Write([]byte("\n"))
		f.Close()
	}
	srv.Serve(ln)
	ln.open.Wait()
}

// draining counts accepted connections until they are closed.
type draining struct {
	net.Listener
	open sync.WaitGroup
}

func (l *draining) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.open.Add(1)
	return &counted{Conn: c, done: l.open.Done}, nil
}

type counted struct {
	net.Conn
	once sync.Once
	done func()
}

func (c *counted) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.done)
	return err
}
