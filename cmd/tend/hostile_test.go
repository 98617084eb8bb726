package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The host's API tried as a hostile client would: garbage, huge and slow
// bodies, headers never finished, thousands of connections, another user
// flooding the socket. Each gets a clear answer (or is closed after its
// timeout), nothing leaks (the host's descriptors and goroutines come
// back to what they were), and the host keeps serving.

// hostFigures are the host's open descriptors and goroutines.
func (e *env) hostFigures() (fds, goroutines int) {
	e.t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", e.hostPID()))
	if err != nil {
		e.t.Fatal(err)
	}
	var info struct {
		Goroutines int `json:"goroutines"`
	}
	_, body := call(e.t, e.socketClient(), "GET", "http://tend/v1/host?stats=1", "", "")
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		e.t.Fatal(err)
	}
	return len(ents), info.Goroutines
}

// expectNoLeak waits until the host is back to the descriptors and
// goroutines it had (a few more goroutines are its own comings and
// goings), and that it serves.
func (e *env) expectNoLeak(what string, fds0, g0 int) {
	e.t.Helper()
	var fds, g int
	deadline := time.Now().Add(20 * time.Second)
	for {
		fds, g = e.hostFigures()
		if fds <= fds0 && g <= g0+5 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Errorf("after %s: the host has %d descriptors (before: %d) and %d goroutines (before: %d)", what, fds, fds0, g, g0)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// rawRequest writes req on a new connection to the host's socket and
// returns the status line of the answer, "" when the host closed it
// without one.
func (e *env) rawRequest(req string) string {
	e.t.Helper()
	c, err := net.Dial("unix", filepath.Join(e.home, "tend.sock"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(c, req)
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

func TestAPIHostileInput(t *testing.T) {
	e := newEnv(t)
	e.mustStart("svc", "sleep")
	c := e.socketClient()
	call(t, c, "GET", "http://tend/v1/daemons", "", "") // the host's first request's lazy setup
	c.CloseIdleConnections()
	fds0, g0 := e.hostFigures()

	// Garbage and bad JSON: 400.
	if got := e.rawRequest("\x00\x01\x02 garbage\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 400") {
		t.Errorf("garbage: %q", got)
	}
	for _, body := range []string{"{nope", `{"name": 7}`, `[]`, strings.Repeat("[", 10000)} {
		if code, resp := call(t, c, "POST", "http://tend/v1/daemons", "", body); code != 400 || !strings.Contains(resp, `"bad-request"`) {
			t.Errorf("POST /v1/daemons %.20q: %d %s", body, code, resp)
		}
	}
	if code, _ := call(t, c, "GET", "http://tend/v1/nosuch", "", ""); code != 404 {
		t.Errorf("an unknown route: %d", code)
	}
	// Huge bodies, announced or chunked: 413, read no further.
	if got := e.rawRequest("POST /v1/daemons HTTP/1.1\r\nHost: tend\r\nContent-Length: 1000000000\r\n\r\n{"); !strings.HasPrefix(got, "HTTP/1.1 413") {
		t.Errorf("a body of 1 GB announced: %q", got)
	}
	req, _ := http.NewRequest("POST", "http://tend/v1/daemons", io.LimitReader(zeros{}, 100<<20))
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Errorf("a chunked body of 100 MB: %d", resp.StatusCode)
		}
	}
	// A header never finished, a body never sent: closed after 10 s, and
	// 408; the host serves meanwhile.
	var wg sync.WaitGroup
	wg.Go(func() {
		start := time.Now()
		if got := e.rawRequest("GET /v1/daemons HTTP/1.1\r\nHost: te"); got != "" && !strings.HasPrefix(got, "HTTP/1.1 408") {
			t.Errorf("a header never finished: %q", got)
		}
		if d := time.Since(start); d > 25*time.Second {
			t.Errorf("a header never finished was closed after %v", d)
		}
	})
	wg.Go(func() {
		if got := e.rawRequest("POST /v1/daemons/svc/signal HTTP/1.1\r\nHost: tend\r\nContent-Length: 50\r\n\r\n{"); !strings.HasPrefix(got, "HTTP/1.1 408") {
			t.Errorf("a body never sent: %q", got)
		}
	})
	time.Sleep(100 * time.Millisecond)
	if code, _ := call(t, c, "GET", "http://tend/v1/daemons/svc", "", ""); code != 200 {
		t.Errorf("while slow clients wait: %d", code)
	}
	wg.Wait()
	c.CloseIdleConnections()
	e.expectNoLeak("garbage, huge and slow requests", fds0, g0)

	// Thousands of connections at once: the first 1000 are served (they
	// wait for a request), the others answered 503 or, past a few at a
	// time, closed; once they are gone, the host serves as before.
	const n = 1500
	conns := make([]net.Conn, 0, n)
	for range n {
		conn, err := net.Dial("unix", filepath.Join(e.home, "tend.sock"))
		if err != nil {
			t.Fatalf("connection %d: %v", len(conns)+1, err)
		}
		conns = append(conns, conn)
	}
	var mu sync.Mutex
	fates := map[string]int{}
	var all sync.WaitGroup
	for _, conn := range conns {
		all.Go(func() {
			conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			line, err := bufio.NewReader(conn).ReadString('\n')
			fate := "closed"
			var ne net.Error
			switch {
			case strings.HasPrefix(line, "HTTP/1.1 503"):
				fate = "503"
			case errors.As(err, &ne) && ne.Timeout():
				fate = "served"
			}
			mu.Lock()
			fates[fate]++
			mu.Unlock()
		})
	}
	all.Wait()
	if fates["served"] != 1000 || fates["503"] == 0 || fates["503"]+fates["closed"] != n-1000 {
		t.Errorf("%d connections at once: %v; want 1000 served, the others answered 503 or closed", n, fates)
	}
	for _, conn := range conns {
		conn.Close()
	}
	eventually(t, "the host serving again", func() bool {
		code, _ := call(t, e.socketClient(), "GET", "http://tend/v1/daemons/svc", "", "")
		return code == 200
	})
	e.expectNoLeak(fmt.Sprintf("%d connections", n), fds0, g0)
}

// zeros reads as zeros forever.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestAPIOtherUserFlood: another user who opens the socket (its modes
// opened on purpose) with many requests at once is refused each time
// (403), the host keeps serving its own user, and leaks nothing.
func TestAPIOtherUserFlood(t *testing.T) {
	n := asNobody(t)
	e := newEnv(t)
	e.mustStart("svc", "sleep")
	fds0, g0 := e.hostFigures()
	os.Chmod(e.home, 0o711)
	defer os.Chmod(e.home, 0o700)
	sock := filepath.Join(e.home, "tend.sock")
	os.Chmod(sock, 0o666)
	defer os.Chmod(sock, 0o600)
	out, _ := n.run(t, []string{helperEnv + "=flood", "FLOOD_SOCKET=" + sock, "FLOOD_N=300"}, n.testBin)
	if !strings.Contains(out, "flood: 0 served") || strings.Contains(out, "flood: 0 refused") {
		t.Errorf("nobody's flood: %s", out)
	}
	if code, _ := call(t, e.socketClient(), "GET", "http://tend/v1/daemons/svc", "", ""); code != 200 {
		t.Errorf("after nobody's flood: %d", code)
	}
	e.expectNoLeak("another user's flood", fds0, g0)
}

// helperFlood sends FLOOD_N requests at once to the socket FLOOD_SOCKET
// and prints how many were served, refused (403) or cut off.
func helperFlood([]string) int {
	n, _ := strconv.Atoi(os.Getenv("FLOOD_N"))
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			what := "cut off"
			c, err := net.Dial("unix", os.Getenv("FLOOD_SOCKET"))
			if err == nil {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(c, "POST /v1/daemons/svc/stop HTTP/1.1\r\nHost: tend\r\nContent-Length: 2\r\n\r\n{}")
				line, _ := bufio.NewReader(c).ReadString('\n')
				switch {
				case strings.HasPrefix(line, "HTTP/1.1 403"):
					what = "refused"
				case strings.HasPrefix(line, "HTTP/1.1 2"):
					what = "served"
				}
				c.Close()
			}
			mu.Lock()
			counts[what]++
			mu.Unlock()
		})
	}
	wg.Wait()
	fmt.Printf("flood: %d served, %d refused, %d cut off\n", counts["served"], counts["refused"], counts["cut off"])
	return 0
}
