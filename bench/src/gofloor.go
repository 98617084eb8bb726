//go:build ignore

// gofloor is the floor for a Go daemonizer/supervisor: the fewest steps a Go
// program can take to do what `tend start` does, with none of tend's
// bookkeeping (no state directory, no fsync, no control socket, no log
// framing). bench/run builds it with: go build -o bin/gofloor src/gofloor.go
//
//	gofloor start [-pipe] -pidfile FILE -log FILE -- CMD [ARG...]
//
// The launcher re-executes itself with Setsid (stage 1), which re-executes
// itself (stage 2) and exits; stage 2 is the resident supervisor: it writes
// the pidfile, starts CMD with stdout/stderr on the log file (or, with -pipe,
// on a pipe it copies into the log), closes the readiness pipe, restarts CMD
// at once whenever it dies, and on SIGTERM stops CMD and exits. The launcher
// returns when the readiness pipe reaches EOF, so when CMD has been started.
//
//	gofloor stop FILE
//
// sends SIGTERM to the pid in FILE and returns when that process is gone.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

const stageVar = "GOFLOOR_STAGE"

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gofloor: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: gofloor start [-pipe] -pidfile FILE -log FILE -- CMD... | gofloor stop FILE")
	}
	if os.Args[1] == "stop" {
		stop(os.Args[2])
		return
	}
	fs := flag.NewFlagSet("start", flag.ExitOnError)
	pipe := fs.Bool("pipe", false, "copy the output through a pipe")
	pidfile := fs.String("pidfile", "", "supervisor pidfile")
	logfile := fs.String("log", os.DevNull, "log file")
	fs.Parse(os.Args[2:])
	cmd := fs.Args()
	if len(cmd) == 0 {
		fail("no command")
	}
	switch os.Getenv(stageVar) {
	case "":
		r, w, err := os.Pipe()
		if err != nil {
			fail("%v", err)
		}
		reexec("1", w, true)
		w.Close()
		verdict, _ := io.ReadAll(r) // EOF once stage 1 exited and stage 2 closed its copy
		if len(verdict) > 0 {
			fail("%s", verdict)
		}
	case "1":
		reexec("2", os.NewFile(3, "ready"), false)
	case "2":
		ready := os.NewFile(3, "ready")
		unix.CloseOnExec(3)
		if err := os.WriteFile(*pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			ready.WriteString(err.Error())
			os.Exit(1)
		}
		supervise(cmd, *logfile, *pipe, ready)
	}
}

func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, stageVar+"=") {
			env = append(env, kv)
		}
	}
	return env
}

func reexec(stage string, ready *os.File, setsid bool) {
	self, err := os.Executable()
	if err != nil {
		fail("%v", err)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		fail("%v", err)
	}
	_, err = os.StartProcess(self, os.Args, &os.ProcAttr{
		Env:   append(environ(), stageVar+"="+stage),
		Files: []*os.File{null, null, null, ready},
		Sys:   &syscall.SysProcAttr{Setsid: setsid},
	})
	if err != nil {
		fail("%v", err)
	}
}

func supervise(cmd []string, logfile string, pipe bool, ready *os.File) {
	terms := make(chan os.Signal, 1)
	signal.Notify(terms, syscall.SIGTERM, syscall.SIGINT)
	log, err := os.OpenFile(logfile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		ready.WriteString(err.Error())
		os.Exit(1)
	}
	null, _ := os.Open(os.DevNull)
	out := log
	if pipe {
		r, w, err := os.Pipe()
		if err != nil {
			ready.WriteString(err.Error())
			os.Exit(1)
		}
		out = w
		go io.Copy(log, r)
	}
	env := environ()
	for {
		p, err := os.StartProcess(cmd[0], cmd, &os.ProcAttr{Env: env, Files: []*os.File{null, out, out}})
		if err != nil {
			ready.WriteString(err.Error())
			os.Exit(1)
		}
		if ready != nil {
			ready.Close()
			ready = nil
		}
		exited := make(chan struct{})
		go func() { p.Wait(); close(exited) }()
		select {
		case <-exited: // restart at once: no backoff in a floor
		case <-terms:
			p.Signal(syscall.SIGTERM)
			<-exited
			os.Exit(0)
		}
	}
}

func stop(pidfile string) {
	b, err := os.ReadFile(pidfile)
	if err != nil {
		fail("%v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		fail("bad pidfile %s", pidfile)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return // gone already
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGTERM, nil, 0); err != nil {
		return
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, 10000); err != unix.EINTR {
			return
		}
	}
}
