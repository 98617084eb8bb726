// Package httpload sends HTTP requests to a loopback server, one after the
// other and each on a new connection, and counts those that fail: the
// measure of a reload or a restart without downtime, shared by the reload
// benchmark (bench/reload) and the reload tests.
package httpload

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Result is what a run of requests saw.
type Result struct {
	Requests int           // sent
	Failed   int           // refused, reset, timed out, or answered other than 200
	Worst    time.Duration // the longest request, failed or not
	FirstErr error         // why the first failed request failed
}

// Run sends GET http://127.0.0.1:port/ until stop is closed, each request
// bounded by timeout, and returns what it saw.
func Run(port int, timeout time.Duration, stop <-chan struct{}) Result {
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	var r Result
	for {
		select {
		case <-stop:
			return r
		default:
		}
		start := time.Now()
		resp, err := client.Get(url)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("HTTP %s", resp.Status)
			}
		}
		r.Worst = max(r.Worst, time.Since(start))
		r.Requests++
		if err != nil {
			r.Failed++
			if r.FirstErr == nil {
				r.FirstErr = err
			}
		}
	}
}
