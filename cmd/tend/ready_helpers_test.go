package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/tendhq/tend/daemon"
	"github.com/tendhq/tend/internal/testexec"
)

// helperReady is a daemon for the readiness tests. TEST_HOW says how it
// becomes ready after TEST_DELAY (notify, fd, tcp, unix, http, file, none),
// or what else it does:
//
//	die       prints a startup error and exits 3 after TEST_DELAY
//	watchdog  ready over sd_notify, pings TEST_PINGS times, then stops pinging
//	hang      HTTP server on TEST_ADDR that hangs while the file TEST_FILE exists
//	listen    serves "hello PID" on the sockets of daemon.Listeners; ready over sd_notify
//	dial      connects to the unix socket TEST_ADDR, prints "dial: " and the line it reads, or the error
//	extend    asks for more time (EXTEND_TIMEOUT_USEC=2000000) every 300 ms of TEST_DELAY, then says READY=1
//	mainpid   starts a sleep helper and names it the main process (MAINPID=), ready over sd_notify
func helperReady([]string) int {
	note("running %d", os.Getpid())
	fmt.Println("helper starting")
	delay, _ := time.ParseDuration(os.Getenv("TEST_DELAY"))
	how := os.Getenv("TEST_HOW")
	for end := time.Now().Add(delay); how == "extend" && time.Now().Before(end); time.Sleep(300 * time.Millisecond) {
		goSystemdNotify("EXTEND_TIMEOUT_USEC=2000000")
	}
	if how != "extend" {
		time.Sleep(delay)
	}
	addr := os.Getenv("TEST_ADDR")
	switch how {
	case "extend":
		goSystemdNotify("READY=1")
	case "die":
		fmt.Fprintln(os.Stderr, "fatal: bad config at line 3")
		return 3
	case "notify":
		// A go-systemd client (gosystemd_test.go), as any Go service that supports systemd.
		if ok, err := goSystemdNotify("STATUS=serving\nREADY=1"); !ok || err != nil {
			fmt.Fprintln(os.Stderr, "sd_notify:", ok, err)
			return 1
		}
	case "fd":
		fd, _ := strconv.Atoi(os.Getenv("TEST_FD"))
		os.NewFile(uintptr(fd), "ready").Write([]byte("\n"))
	case "tcp", "unix":
		ln, err := net.Listen(how, addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	case "http", "hang":
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := os.Stat(os.Getenv("TEST_FILE")); how == "hang" && err == nil {
				select {} // hung
			}
			fmt.Fprintln(w, "ok")
		}))
	case "file":
		os.WriteFile(os.Getenv("TEST_FILE"), nil, 0o600)
	case "watchdog":
		usec, err := goSystemdWatchdog() // checks WATCHDOG_PID too
		if err != nil || usec == 0 {
			fmt.Fprintln(os.Stderr, "watchdog not enabled:", usec, err)
			return 9
		}
		goSystemdNotify("READY=1")
		n, _ := strconv.Atoi(os.Getenv("TEST_PINGS"))
		for i := 0; i < n; i++ {
			time.Sleep(usec / 4)
			goSystemdNotify("WATCHDOG=1")
		}
		note("stopped pinging %d", os.Getpid())
	case "listen":
		return serveListeners()
	case "dial":
		c, err := net.DialTimeout("unix", addr, 10*time.Second)
		if err != nil {
			fmt.Println("dial:", err)
			return 1
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		fmt.Printf("dial: %q %v\n", line, err)
		return 0
	case "mainpid":
		// A launcher that starts the real server, names it with MAINPID=
		// and stays: the server is the daemon's main process.
		self, _ := os.Executable()
		server := exec.Command(self)
		server.Env = testexec.Environ("sleep", "TEST_NOTE="+os.Getenv("TEST_NOTE"))
		if err := server.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if ok, err := goSystemdNotify(fmt.Sprintf("READY=1\nMAINPID=%d", server.Process.Pid)); !ok || err != nil {
			fmt.Fprintln(os.Stderr, "sd_notify:", ok, err)
			return 1
		}
	}
	select {}
}

// serveListeners answers "hello PID" on every connection, and on SIGTERM
// stops accepting, finishes what it accepted and exits 0: the socket
// itself stays with tend's supervisor.
func serveListeners() int {
	lns, err := daemon.Listeners()
	if err != nil || len(lns) == 0 {
		fmt.Fprintln(os.Stderr, "no listeners:", err)
		return 1
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	var wg sync.WaitGroup
	for _, ln := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer c.Close()
					fmt.Fprintf(c, "hello %d\n", os.Getpid())
					bufio.NewReader(c).ReadString('\n') // until the client hangs up
				}()
			}
		}()
	}
	goSystemdNotify("READY=1")
	<-term
	for _, ln := range lns {
		ln.Close()
	}
	wg.Wait()
	return 0
}
