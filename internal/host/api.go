package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/logcap"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/startwatch"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/supervisor"
)

// maxBody bounds a request's body: a definition is small; the limit is
// that of a record on disk.
const maxBody = state.MaxRecordSize

// errBadRequest is wrapped by errors about what a client sent.
var errBadRequest = errors.New("bad request")

// errHostStopping answers requests that come while the host exits.
var errHostStopping = errors.New("the host is stopping")

// routes are the host's API (see package api for the list, and
// docs/api.json), with its guards.
func (h *Host) routes() http.Handler { return h.inTime(guardBodies(h.api())) }

// api registers the routes.
func (h *Host) api() *routeMux {
	mux := newRouteMux()
	mux.HandleFunc("GET /v1/host", h.getHost)
	mux.HandleFunc("POST /v1/host/upgrade", h.postUpgrade)
	mux.HandleFunc("POST /v1/stop", h.postStop)
	mux.HandleFunc("GET /v1/events", h.getEvents)
	mux.Handle("GET /metrics", h.metricsHandler())
	mux.HandleFunc("GET /v1/remote", h.getRemote)
	mux.HandleFunc("PUT /v1/remote", h.putRemote)
	mux.HandleFunc("DELETE /v1/remote", h.deleteRemote)
	mux.HandleFunc("GET /v1/daemons", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, h.views())
	})
	mux.HandleFunc("POST /v1/daemons", h.postDaemon)
	mux.HandleFunc("GET /v1/daemons/{name}", func(w http.ResponseWriter, r *http.Request) {
		v, _, err := h.view(r.PathValue("name"))
		answer(w, v, err)
	})
	mux.HandleFunc("GET /v1/daemons/{name}/logs", h.getLogs)
	mux.HandleFunc("DELETE /v1/daemons/{name}", func(w http.ResponseWriter, r *http.Request) {
		answer(w, nil, h.remove(r.PathValue("name")))
	})
	mux.HandleFunc("POST /v1/daemons/{name}/stop", func(w http.ResponseWriter, r *http.Request) {
		how, err := h.stop(r.Context(), r.PathValue("name"))
		answer(w, api.StopResult{Description: how}, err)
	})
	mux.HandleFunc("POST /v1/daemons/{name}/restart", func(w http.ResponseWriter, r *http.Request) {
		pid, err := h.restart(r.Context(), r.PathValue("name"))
		answer(w, api.RestartResult{PID: pid}, err)
	})
	mux.HandleFunc("POST /v1/daemons/{name}/reload", func(w http.ResponseWriter, r *http.Request) {
		pid, err := h.reload(r.Context(), r.PathValue("name"))
		answer(w, api.RestartResult{PID: pid}, err)
	})
	mux.HandleFunc("POST /v1/daemons/{name}/replace", func(w http.ResponseWriter, r *http.Request) {
		var req api.ReplaceRequest
		var def definition.Definition
		if err := readJSON(r, &req); err != nil {
			writeError(w, err)
			return
		}
		if err := json.Unmarshal(req.Definition, &def); err != nil || def.Name != r.PathValue("name") {
			writeError(w, fmt.Errorf("%w: the definition is not %s's: %v", errBadRequest, r.PathValue("name"), err))
			return
		}
		pid, err := h.replace(r.Context(), &def, req.Reload)
		answer(w, api.RestartResult{PID: pid}, err)
	})
	mux.HandleFunc("POST /v1/daemons/{name}/scale", func(w http.ResponseWriter, r *http.Request) {
		var req api.ScaleRequest
		if err := readJSON(r, &req); err != nil {
			writeError(w, err)
			return
		}
		if req.Instances < 1 {
			writeError(w, fmt.Errorf("%w: scale to %d: give a number of instances from 1", errBadRequest, req.Instances))
			return
		}
		answer(w, nil, h.scale(r.Context(), r.PathValue("name"), req.Instances))
	})
	mux.HandleFunc("POST /v1/daemons/{name}/signal", func(w http.ResponseWriter, r *http.Request) {
		var req api.SignalRequest
		if err := readJSON(r, &req); err != nil {
			writeError(w, err)
			return
		}
		sig, err := proc.ParseSignal(req.Signal)
		if err != nil {
			writeError(w, fmt.Errorf("%w: %w", errBadRequest, err))
			return
		}
		res, err := h.signal(r.PathValue("name"), sig, req.All)
		answer(w, res, err)
	})
	mux.HandleFunc("POST /v1/daemons/{name}/log/rotate", func(w http.ResponseWriter, r *http.Request) {
		answer(w, nil, h.logOp(r.PathValue("name"), (*logcap.Log).Rotate))
	})
	mux.HandleFunc("POST /v1/daemons/{name}/log/reopen", func(w http.ResponseWriter, r *http.Request) {
		answer(w, nil, h.logOp(r.PathValue("name"), (*logcap.Log).Reopen))
	})
	return mux
}

// inTime refuses a request that comes after its client's deadline
// (api.DeadlineHeader), or whose client has already left: the host was
// stopped or busy, and nobody waits for the answer any more.
func (h *Host) inTime(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.release.Busy()
		late := ""
		if d, err := time.Parse(time.RFC3339Nano, r.Header.Get(api.DeadlineHeader)); err == nil && time.Now().After(d) {
			late = fmt.Sprintf("came %v after its client's deadline", time.Since(d).Round(time.Millisecond))
		} else if d, err := time.Parse(time.RFC3339Nano, r.Header.Get(api.ReadByHeader)); err == nil && time.Now().After(d) {
			late = fmt.Sprintf("was read %v after its client's time to be read", time.Since(d).Round(time.Millisecond))
		} else if r.Context().Err() != nil {
			late = "came after its client left"
		}
		if late != "" {
			h.logf("a request (%s %s) %s: not carried out", r.Method, r.URL.Path, late)
			writeJSON(w, http.StatusRequestTimeout, api.Error{Message: "the request " + late + ": not carried out", Code: api.CodeExpired})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Host) getHost(w http.ResponseWriter, r *http.Request) {
	info := api.HostInfo{PID: os.Getpid(), KeeperPID: h.keeper.KeeperPID(), StartedAt: h.began,
		Version: h.version, Daemons: len(h.reg.names())}
	if r.URL.Query().Get("stats") == "1" {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		info.Goroutines, info.HeapInuse, info.StackInuse, info.Sys = runtime.NumGoroutine(), ms.HeapInuse, ms.StackInuse, ms.Sys
	}
	writeJSON(w, http.StatusOK, info)
}

// postStop stops the daemons the request names (or every one that runs),
// all at once, and answers once each has stopped or failed to.
func (h *Host) postStop(w http.ResponseWriter, r *http.Request) {
	var req api.StopRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	names := req.Names
	if req.All {
		// Every daemon of the store, not only those the host runs: lost
		// ones are stopped too, and those another process supervises
		// answered with CodeElsewhere.
		var err error
		if names, err = h.store.List(); err != nil { // in the store's order: d2 before d10
			writeError(w, err)
			return
		}
	}
	out := make([]api.StopOutcome, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			how, err := h.stop(r.Context(), name)
			out[i] = api.StopOutcome{Name: name, Description: how}
			if err != nil {
				e, _ := errorBody(err)
				out[i].Error = &e
			}
		})
	}
	wg.Wait()
	writeJSON(w, http.StatusOK, out)
}

// postUpgrade has the keeper execute the program the request names in
// its place once this host has exited, and exits: the new keeper starts
// a new host, which takes every daemon over.
func (h *Host) postUpgrade(w http.ResponseWriter, r *http.Request) {
	var req api.UpgradeRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if fi, err := os.Stat(req.Path); err != nil || !filepath.IsAbs(req.Path) || fi.Mode()&0o111 == 0 {
		writeError(w, fmt.Errorf("%w: upgrade to %q: give the absolute path of an executable tend", errBadRequest, req.Path))
		return
	}
	if err := h.keeper.Upgrade(req.Path); err != nil {
		writeError(w, err)
		return
	}
	answer(w, nil, nil)
	h.logf("upgrading to %s: this host exits, its daemons run on", req.Path)
	h.upgrade <- struct{}{}
}

// postDaemon starts a daemon from the definition in the body, and answers
// once it is ready, or why not.
func (h *Host) postDaemon(w http.ResponseWriter, r *http.Request) {
	var def definition.Definition
	if err := readJSON(r, &def); err != nil {
		writeError(w, err)
		return
	}
	rec, err := h.start(r.Context(), &def)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, rec)
}

// answer writes v (200), or err.
func answer(w http.ResponseWriter, v any, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	if v == nil {
		v = struct{}{}
	}
	writeJSON(w, http.StatusOK, v)
}

func readJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("%w: reading the body: %w", errBadRequest, err)
	}
	if len(b) > maxBody {
		return fmt.Errorf("%w: the body is larger than %d bytes", errBadRequest, maxBody)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: the body is not the JSON expected: %w", errBadRequest, err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// writeError answers with err as an api.Error, and the status that fits
// it.
func writeError(w http.ResponseWriter, err error) {
	e, code := errorBody(err)
	writeJSON(w, code, e)
}

// errorBody is err as an api.Error, with the HTTP status that fits it.
func errorBody(err error) (api.Error, int) {
	e := api.Error{Message: api.Message(err), Code: api.CodeInternal}
	code := http.StatusInternalServerError
	var busy *errBusy
	var se *startError
	var re *replaceError
	var crash *startwatch.CrashError
	switch {
	case errors.Is(err, errBadRequest), errors.Is(err, definition.ErrUsage), errors.Is(err, state.ErrBadName):
		code, e.Code = http.StatusBadRequest, api.CodeBadRequest
	case errors.Is(err, errUnknown):
		code, e.Code = http.StatusNotFound, api.CodeUnknown
	case errors.As(err, &busy):
		code, e.Code, e.PID = http.StatusConflict, api.CodeAlreadyRunning, busy.pid
	case errors.Is(err, errStale):
		code, e.Code = http.StatusConflict, api.CodeStale
	case errors.Is(err, errNotRunning), errors.Is(err, supervisor.ErrNotRunning):
		code, e.Code = http.StatusConflict, api.CodeNotRunning
	case errors.Is(err, supervisor.ErrStopped):
		code, e.Code = http.StatusConflict, api.CodeStopping
	case errors.Is(err, errElsewhere):
		code, e.Code = http.StatusConflict, api.CodeElsewhere
	case errors.As(err, &re):
		code, e.Code, e.Log = http.StatusUnprocessableEntity, api.CodeReplaceFailed, re.log
	case errors.Is(err, supervisor.ErrReloadFailed):
		code, e.Code = http.StatusUnprocessableEntity, api.CodeReloadFailed
	case errors.As(err, &crash):
		code, e.Code, e.Log, e.StartedAt = http.StatusUnprocessableEntity, api.CodeCrashed, crash.Log, crash.StartedAt
	case errors.As(err, &se):
		code, e.Code, e.Log, e.Stopped = http.StatusUnprocessableEntity, api.CodeNotStarted, se.log, se.stopped
	case errors.Is(err, errHostStopping):
		code, e.Code = http.StatusServiceUnavailable, api.CodeHostStopping
	}
	return e, code
}
