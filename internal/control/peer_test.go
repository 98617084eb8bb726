//go:build linux

package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/testexec"
)

// asNobody prepares to run the test binary as user nobody with the given
// helper and arguments. It copies the binary into a directory nobody can
// reach (the go build cache is private to root) and opens that directory
// (and its parent, made by t.TempDir) for traversal.
func asNobody(t *testing.T, helper string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cred, dir := testexec.Nobody(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testexec.CopyExecutable(t, self, dir), args...)
	cmd.Env = testexec.Environ(helper)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd, dir
}

// TestRefusesOtherUser runs a client as nobody against a root server whose
// socket nobody can reach, and checks the server refuses it by its peer
// credentials without running the handler.
func TestRefusesOtherUser(t *testing.T) {
	var handled atomic.Bool
	s, logs := serve(t, func(context.Context, Request) Response {
		handled.Store(true)
		return Response{OK: true}
	}, 0)
	cmd, _ := asNobody(t, "call", s.Path())
	// Open what the file system would otherwise guard, so only the peer
	// credential check stands between nobody and the handler.
	for _, p := range []string{filepath.Dir(filepath.Dir(s.Path())), filepath.Dir(s.Path())} {
		if err := os.Chmod(p, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(s.Path(), 0o666); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, stderr(err))
	}
	var resp Response
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("helper printed %q: %v", out, err)
	}
	if resp.OK || !strings.Contains(resp.Error, "permission denied: uid 65534 may not control") {
		t.Errorf("nobody got %+v; want a permission denied response", resp)
	}
	if handled.Load() {
		t.Error("the handler ran for a refused peer")
	}
	select {
	case line := <-logs:
		if !strings.Contains(line, "refused a connection from uid 65534") {
			t.Errorf("log line %q", line)
		}
	case <-time.After(10 * time.Second):
		t.Error("refused peer was not logged")
	}
	if resp := call(t, s.Path(), Request{Op: "ping"}); !resp.OK {
		t.Errorf("owner refused after nobody: %+v", resp)
	}
}

// TestCallRefusesImpostor runs a server as nobody and checks that a root
// client will not talk to it.
func TestCallRefusesImpostor(t *testing.T) {
	cmd, dir := asNobody(t, "serve", "")
	srv := filepath.Join(dir, "srv")
	if err := os.Mkdir(srv, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(srv, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(srv, "control.sock")
	cmd.Args[1] = path
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("serve helper: %v\n%s", err, errBuf.String())
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("serve helper said %q, %v\n%s", line, err, errBuf.String())
	}
	go io.Copy(io.Discard, stdout)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = Call(ctx, path, Request{Op: "ping"})
	if !errors.Is(err, ErrUntrustedPeer) || !strings.Contains(err.Error(), "served by uid 65534") {
		t.Errorf("Call to nobody's server = %v; want ErrUntrustedPeer", err)
	}
}

func stderr(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}
