package daemon_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tendhq/tend/daemon"

	"github.com/tendhq/tend/internal/testexec"
)

// daemonMain is the program under test: a small daemon configured by TEST_*
// environment variables.
func daemonMain([]string) int {
	if dir := os.Getenv("TEST_STRAY_DIR"); dir != "" {
		// A descriptor opened without O_CLOEXEC before Detach, as a C
		// library or a raw syscall.Open would: every stage opens its own,
		// named after its pid and the time, and keeps it open.
		name := fmt.Sprintf("stray-%d-%d", os.Getpid(), time.Now().UnixNano())
		if _, err := unix.Open(filepath.Join(dir, name), unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "stray descriptor:", err)
			return 2
		}
	}
	if path := os.Getenv("TEST_LAUNCHER_FACTS"); path != "" {
		// Only the first process (the launcher) creates it.
		if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			st, _ := os.ReadFile("/proc/self/stat")
			status, _ := os.ReadFile("/proc/self/status")
			fmt.Fprintf(f, "%s\n%s", st, status)
			f.Close()
		}
	}
	cfg := daemon.Config{
		Name:           "testd",
		PIDFile:        os.Getenv("TEST_PIDFILE"),
		LogFile:        os.Getenv("TEST_LOG"),
		User:           os.Getenv("TEST_USER"),
		SkipSecondFork: os.Getenv("TEST_SKIP_SECOND_FORK") != "",
		Foreground:     os.Getenv("TEST_FOREGROUND") != "",
		OnReady:        func(pid int) { fmt.Printf("ready pid %d\n", pid) },
	}
	if v := os.Getenv("TEST_READY_TIMEOUT"); v != "" {
		cfg.ReadyTimeout, _ = time.ParseDuration(v)
	}
	if v := os.Getenv("TEST_UMASK"); v != "" {
		var m uint32
		fmt.Sscanf(v, "%o", &m)
		cfg.Umask = os.FileMode(m)
	}
	if v := os.Getenv("TEST_EXTRA_FILE"); v != "" {
		f, err := os.Open(v)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		cfg.ExtraFiles = []*os.File{f}
	}
	// A relative path resolved before Detach, as programs do with flags:
	// every stage must resolve it against the launcher's directory.
	relPath, _ := filepath.Abs(os.Getenv("TEST_REL"))
	d, err := daemon.Detach(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testd:", err)
		return 1
	}
	defer d.Close()
	switch os.Getenv("TEST_MODE") {
	case "fail":
		d.Fail(errors.New("cannot listen on 127.0.0.1:1: address already in use"))
	case "exit3":
		fmt.Fprintln(os.Stderr, "fatal: config file /nonexistent: no such file or directory")
		return 3
	case "kill":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	case "never":
		select {}
	case "ready-exit":
		d.Ready()
		return 0
	}
	if path := os.Getenv("TEST_CHILD_FACTS"); path != "" {
		cmd := exec.Command("/proc/self/exe")
		cmd.Env = testexec.Environ("report-sigs", "TEST_OUT="+path)
		if err := cmd.Run(); err != nil {
			d.Fail(fmt.Errorf("child: %w", err))
		}
	}
	if len(d.Files()) > 0 {
		buf := make([]byte, 64)
		n, _ := d.Files()[0].Read(buf)
		fmt.Printf("extra file says %q\n", buf[:n])
	}
	if os.Getenv("TEST_REL") != "" {
		os.WriteFile(relPath, []byte("written by the daemon\n"), 0o600)
	}
	ctx := d.Context()
	hup := d.Hangup()
	if err := d.Ready(); err != nil {
		fmt.Fprintln(os.Stderr, "ready:", err)
	}
	fmt.Println("serving")
	for {
		select {
		case <-hup:
			fmt.Println("hangup")
		case <-ctx.Done():
			fmt.Println("stopping")
			return 0
		}
	}
}

// reportSignals writes this process's signal mask and ignored set to TEST_OUT.
func reportSignals([]string) int {
	status, _ := os.ReadFile("/proc/self/status")
	return writeFile(os.Getenv("TEST_OUT"), status)
}

func writeFile(path string, b []byte) int {
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return 1
	}
	return 0
}

// blockedExec replaces itself with daemon-main after blocking SIGUSR1 and
// SIGTERM and ignoring SIGHUP (and signal 32 with TEST_IGNORE_32), as a
// launcher started under nohup from a shell with blocked signals would be.
func blockedExec([]string) int {
	runtime.LockOSThread()
	var set unix.Sigset_t
	for _, s := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGTERM} {
		set.Val[(s-1)/64] |= 1 << ((uint(s) - 1) % 64)
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		return 1
	}
	signal.Ignore(syscall.SIGHUP)
	if os.Getenv("TEST_IGNORE_32") != "" {
		// Signal 32 is the C library's; the Go runtime neither catches it
		// nor lets os/signal do so, so an ignored 32 survives its forks.
		ign := [4]uint64{1} // struct sigaction: handler SIG_IGN
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, 32, uintptr(unsafe.Pointer(&ign)), 0, 8, 0, 0); e != 0 {
			return 1
		}
	}
	env := testexec.Environ("daemon-main")
	err := syscall.Exec("/proc/self/exe", []string{"testd"}, env)
	fmt.Fprintln(os.Stderr, err)
	return 1
}
