package supervisor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/tendhq/tend/internal/control"
	"github.com/tendhq/tend/internal/logcap"
	"github.com/tendhq/tend/internal/proc"
)

// listen opens the control socket and answers it until shutdown.
func (s *Supervisor) listen() error {
	srv, err := control.Listen(s.cfg.Dir.Socket())
	if err != nil {
		return err
	}
	srv.Logf = func(format string, args ...any) { s.events.Warn(fmt.Sprintf(format, args...)) }
	s.server = srv
	s.serving.Go(func() { srv.Serve(context.Background(), s.handleControl) })
	return nil
}

// handleControl answers the CLI. It runs on the server's goroutines and
// talks to the loop like every other goroutine.
func (s *Supervisor) handleControl(ctx context.Context, req control.Request) control.Response {
	switch req.Op {
	case control.OpStatus:
		// Asked when the record on disk cannot be read: the loop writes
		// it again after any message.
		s.inbox.post(logChanged{})
		return reply(s.Record(), nil)
	case control.OpStop:
		how, err := s.Stop(ctx)
		if err == nil {
			// Answer once the last record is written.
			select {
			case <-s.ended:
			case <-ctx.Done():
			}
			crashAt("stop-stopped")
		}
		return reply(control.StopResult{Description: how}, err)
	case control.OpSignal:
		sig, err := proc.ParseSignal(req.Signal)
		if err != nil {
			return reply(nil, err)
		}
		pid, n, err := s.Signal(sig, req.Group)
		return reply(control.SignalResult{PID: pid, Processes: n}, err)
	case control.OpRestart:
		pid, err := s.Restart(ctx)
		return reply(control.RestartResult{PID: pid}, err)
	case control.OpReload:
		pid, err := s.Reload(ctx)
		return reply(control.RestartResult{PID: pid}, err)
	case control.OpScale:
		n, err := strconv.Atoi(req.Args["instances"])
		if err != nil {
			return reply(nil, fmt.Errorf("scale: %q is not a number of instances", req.Args["instances"]))
		}
		return reply(nil, s.Scale(ctx, n))
	case control.OpRotate:
		return reply(nil, s.WithLog((*logcap.Log).Rotate))
	case control.OpReopen:
		return reply(nil, s.WithLog((*logcap.Log).Reopen))
	}
	return reply(nil, fmt.Errorf("unknown request %q", req.Op))
}

// WithLog runs op on the daemon's output log (rotate it, reopen it).
func (s *Supervisor) WithLog(op func(*logcap.Log) error) error {
	if s.output == nil || s.output.log == nil {
		return errors.New("this daemon's output is not captured by tend")
	}
	return op(s.output.log)
}

func reply(data any, err error) control.Response {
	switch {
	case errors.Is(err, ErrStopped):
		return control.Response{Error: err.Error(), Code: control.CodeStopped}
	case errors.Is(err, ErrNotRunning):
		return control.Response{Error: err.Error(), Code: control.CodeNotRunning}
	case err != nil:
		return control.Response{Error: err.Error()}
	}
	resp := control.Response{OK: true}
	if data != nil {
		b, jerr := json.Marshal(data)
		if jerr != nil {
			return control.Response{Error: jerr.Error()}
		}
		resp.Data = b
	}
	return resp
}
