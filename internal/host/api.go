package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/state"
)

// maxBody bounds a request's body: a definition is small; the limit is
// that of a record on disk.
const maxBody = state.MaxRecordSize

// errBadRequest is wrapped by errors about what a client sent.
var errBadRequest = errors.New("bad request")

// Error is the body of every failed request: what went wrong and what to
// do (Message), and a word for programs (Code).
type Error struct {
	Message string `json:"error"`
	Code    string `json:"code"`
	// PID is the running process of an already-running daemon.
	PID int `json:"pid,omitzero"`
	// Log is the daemon's log, whose last lines say why it did not
	// start, when its command ran.
	Log string `json:"log,omitzero"`
	// Stopped says that the daemon ran and was stopped: its record
	// stays, for status to show.
	Stopped bool `json:"stopped,omitzero"`
}

// Codes of Error.
const (
	CodeBadRequest     = "bad-request"
	CodeAlreadyRunning = "already-running"
	CodeNotStarted     = "not-started"
	CodeStopping       = "host-stopping"
	CodeInternal       = "internal"
)

// HostInfo answers GET /v1/host.
type HostInfo struct {
	PID       int       `json:"pid"`
	KeeperPID int       `json:"keeper_pid"`
	StartedAt time.Time `json:"started_at"`
	Daemons   []string  `json:"daemons"`
}

func (h *Host) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/host", h.getHost)
	mux.HandleFunc("POST /v1/daemons", h.postDaemon)
	return mux
}

func (h *Host) getHost(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, HostInfo{PID: os.Getpid(), KeeperPID: h.keeper.KeeperPID(), StartedAt: h.began, Daemons: h.reg.names()})
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

// writeError answers with err as an Error, and the status that fits it.
func writeError(w http.ResponseWriter, err error) {
	e := Error{Message: err.Error(), Code: CodeInternal}
	code := http.StatusInternalServerError
	var busy *errBusy
	var se *startError
	switch {
	case errors.Is(err, errBadRequest), errors.Is(err, definition.ErrUsage), errors.Is(err, state.ErrBadName):
		code, e.Code = http.StatusBadRequest, CodeBadRequest
	case errors.As(err, &busy):
		code, e.Code, e.PID = http.StatusConflict, CodeAlreadyRunning, busy.pid
	case errors.As(err, &se):
		code, e.Code, e.Log, e.Stopped = http.StatusUnprocessableEntity, CodeNotStarted, se.log, se.stopped
	case errors.Is(err, errHostStopping):
		code, e.Code = http.StatusServiceUnavailable, CodeStopping
	}
	writeJSON(w, code, e)
}
