//go:build ignore

// Command reloadbench measures what users see of a reload and of a
// restart: requests sent one after the other, each on a new loopback
// connection, while a daemon is reloaded (or restarted) 20 times; the
// failed requests and the worst latency, with 1 and 3 instances, for tend
// and, where it is installed, for pm2 (cluster mode, `pm2 reload`).
//
//	go run bench/reload/main.go -tend bin/tend -server bin/reload-server [-pm2 PATH] [-n 20]
//
// bench/reload/run builds what it needs and runs it. Loopback only; every
// daemon it starts is stopped by name (tend) or deleted (pm2, with its own
// PM2_HOME) before it returns.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tendhq/tend/internal/httpload"
)

func main() {
	tend := flag.String("tend", "tend", "the tend binary")
	server := flag.String("server", "", "the benchmark's LISTEN_FDS server (bench/reload/server.go, built)")
	pm2 := flag.String("pm2", "", "pm2, to compare (empty: not measured)")
	app := flag.String("app", "bench/reload/app.js", "the node app pm2 runs")
	n := flag.Int("n", 20, "reloads (and restarts) per run")
	flag.Parse()
	home, err := os.MkdirTemp("", "reloadbench")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(home)
	fmt.Printf("| tool | operation | instances | requests | failed | worst latency | median op |\n|---|---|---|---|---|---|---|\n")
	for _, instances := range []int{1, 3} {
		for _, op := range []string{"reload", "restart"} {
			r := runTend(*tend, *server, home, op, instances, *n)
			r.print("tend", op, instances)
		}
	}
	if *pm2 != "" {
		for _, instances := range []int{1, 3} {
			for _, op := range []string{"reload", "restart"} {
				r := runPM2(*pm2, *app, home, op, instances, *n)
				r.print("pm2", op, instances)
			}
		}
	}
}

// outcome is one run's figures.
type outcome struct {
	httpload.Result
	ops []time.Duration
	err error
}

func (o outcome) print(tool, op string, instances int) {
	if o.err != nil {
		fmt.Printf("| %s | %s | %d | **failed**: %v | | | |\n", tool, op, instances, o.err)
		return
	}
	slices.Sort(o.ops)
	med := time.Duration(0)
	if len(o.ops) > 0 {
		med = o.ops[len(o.ops)/2]
	}
	note := ""
	if o.FirstErr != nil {
		note = " (first: " + strings.ReplaceAll(o.FirstErr.Error(), "|", "/") + ")"
	}
	fmt.Printf("| %s | %s | %d | %d | %d%s | %.1f ms | %.0f ms |\n", tool, op, instances, o.Requests, o.Failed, note,
		float64(o.Worst.Microseconds())/1000, float64(med.Microseconds())/1000)
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// run runs cmd and returns how long it took, or its output as an error.
func run(env []string, name string, args ...string) (time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s %s: %v: %s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return time.Since(start), nil
}

// during sends requests to port until ops is done, and counts.
func during(port int, ops func() ([]time.Duration, error)) outcome {
	stop := make(chan struct{})
	var o outcome
	var wg sync.WaitGroup
	wg.Go(func() { o.Result = httpload.Run(port, 10*time.Second, stop) })
	time.Sleep(200 * time.Millisecond) // a steady stream before the first operation
	o.ops, o.err = ops()
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	return o
}

func runTend(tend, server, home, op string, instances, n int) outcome {
	env := []string{"TEND_HOME=" + filepath.Join(home, "tend")}
	name := fmt.Sprintf("rb-%s-%d", op, instances)
	port := freePort()
	if _, err := run(env, tend, "start", name, "--listen", fmt.Sprintf("tcp://127.0.0.1:%d", port), "--ready", "fd:4",
		"--instances", strconv.Itoa(instances), "--", server); err != nil {
		return outcome{err: err}
	}
	defer run(env, tend, "stop", name)
	return during(port, func() ([]time.Duration, error) {
		var ds []time.Duration
		for range n {
			d, err := run(env, tend, op, name)
			if err != nil {
				return ds, err
			}
			ds = append(ds, d)
		}
		return ds, nil
	})
}

func runPM2(pm2, app, home, op string, instances, n int) outcome {
	env := []string{"PM2_HOME=" + filepath.Join(home, "pm2")}
	name := fmt.Sprintf("rb-%s-%d", op, instances)
	port := freePort()
	env = append(env, "PORT="+strconv.Itoa(port))
	if _, err := run(env, pm2, "start", app, "--name", name, "-i", strconv.Itoa(instances), "--wait-ready",
		"--listen-timeout", "10000", "--kill-timeout", "10000"); err != nil {
		return outcome{err: err}
	}
	defer func() {
		run(env, pm2, "delete", name)
		run(env, pm2, "kill")
	}()
	return during(port, func() ([]time.Duration, error) {
		var ds []time.Duration
		for range n {
			d, err := run(env, pm2, op, name)
			if err != nil {
				return ds, err
			}
			ds = append(ds, d)
		}
		return ds, nil
	})
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "reloadbench:", err)
	os.Exit(1)
}
