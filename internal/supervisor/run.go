package supervisor

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/internal/proc"
)

// maxRunOutput bounds the output Run keeps.
const maxRunOutput = 4 << 10

// runShort runs a short command to completion, such as an exec health
// probe, and returns how it ended and the first 4 KiB of its combined
// stdout and stderr; it is the supervisor's probe.Runner. argv[0] is the
// program (looked up in PATH without a slash); env nil means this
// program's environment; dir "" means its working directory. The command
// runs in its own process group, which is killed (SIGKILL) when ctx ends
// first.
//
// The supervisor must run its other children this way: the package's
// reaper waits for every child of the program, so a child waited for by
// other means (os/exec) would be reaped under its feet.
func runShort(ctx context.Context, r *Reaper, argv, env []string, dir string) (code int, how string, out []byte, err error) {
	if len(argv) == 0 {
		return 0, "", nil, fmt.Errorf("run: no command")
	}
	path := argv[0]
	if !strings.Contains(path, "/") {
		var err error
		if path, err = exec.LookPath(path); err != nil {
			return 0, "", nil, fmt.Errorf("run %s: %w", argv[0], err)
		}
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, "", nil, fmt.Errorf("run %s: %w", path, err)
	}
	defer null.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, "", nil, fmt.Errorf("run %s: %w", path, err)
	}
	defer pr.Close()
	if env == nil {
		env = os.Environ()
	}
	spec := &Spec{Path: path, Argv: argv, Env: env, Dir: dir, Files: []*os.File{null, pw, pw}, Setpgid: true, Umask: -1}
	exited := make(chan unix.WaitStatus, 1)
	pid, err := r.startShort(spec, func(ws unix.WaitStatus) { exited <- ws })
	pw.Close()
	if err != nil {
		return 0, "", nil, fmt.Errorf("run %s: %w", path, err)
	}
	outc := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(pr, maxRunOutput))
		io.Copy(io.Discard, pr)
		outc <- b
	}()
	var ws unix.WaitStatus
	select {
	case ws = <-exited:
	case <-ctx.Done():
		unix.Kill(-pid, unix.SIGKILL) // the child leads the group until reaped
		ws = <-exited
	}
	// A descendant that left the group may hold the pipe: do not wait for
	// it long.
	pr.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	return proc.ExitCode(ws), proc.DescribeExit(ws), <-outc, nil
}

// runShort is the package's runShort with the supervisor's reaper: a
// probe.Runner.
func (s *Supervisor) runShort(ctx context.Context, argv, env []string, dir string) (int, string, []byte, error) {
	return runShort(ctx, s.reaper, argv, env, dir)
}
