package state

import "path/filepath"

// Dir is one daemon's folder inside a [Store]. Its methods only build
// paths; they create and check nothing.
type Dir struct {
	Name string // the daemon's name, valid per [ValidateName]
	Path string // absolute path of the folder
}

func (d Dir) file(name string) string { return filepath.Join(d.Path, name) }

// LockFile is the path of the file the running supervisor keeps locked.
// Holding it is what makes a supervisor the only one for this daemon.
func (d Dir) LockFile() string { return d.file("lock") }

// SupervisorPIDFile is the path of the file holding the supervisor's pid.
// Its supervisor holds it locked (see [Dir.LockSupervisor]); the CLI talks
// to the supervisor through [Dir.Socket].
func (d Dir) SupervisorPIDFile() string { return d.file("supervisor.pid") }

// StatusFile is the path of the daemon's status record (see [WriteJSON]).
func (d Dir) StatusFile() string { return d.file("status.json") }

// DefinitionFile is the path of the record describing how the daemon was
// started (command, environment, policy).
func (d Dir) DefinitionFile() string { return d.file("definition.json") }

// Socket is the path of the supervisor's control socket.
func (d Dir) Socket() string { return d.file("control.sock") }

// NotifySocket is the path of the sd_notify datagram socket the supervisor
// offers the child as NOTIFY_SOCKET.
func (d Dir) NotifySocket() string { return d.file("notify.sock") }

// LogFile is the path of the child's captured stdout and stderr.
func (d Dir) LogFile() string { return d.file("output.log") }

// EventLog is the path of the supervisor's event log (starts, exits,
// restarts, signals).
func (d Dir) EventLog() string { return d.file("events.log") }
