package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// machine is what the report says of where and on what it ran.
type machine struct {
	Kernel, CPU, Memory string
	CPUs                int
	LoadStart, LoadEnd  string
	Go                  string
	Commit              string
	Tree                string // how the built source relates to the commit
	Build, Took         time.Duration
	Command             string
}

// describeMachine notes the machine, and the load at the start.
func describeMachine(cfg *config) machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), LoadStart: loadAverage()}
	m.Kernel, m.CPU, m.Memory = systemFacts()
	args := []string{"go run ./reliability"}
	args = append(args, os.Args[1:]...)
	m.Command = strings.Join(args, " ")
	return m
}

// prepare makes the campaign's folder and builds tend into it.
func prepare(ctx context.Context, cfg *config, m *machine) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cfg.root = root
	var tok [3]byte
	rand.Read(tok[:])
	cfg.token = "c" + hex.EncodeToString(tok[:])
	if cfg.tmp, err = os.MkdirTemp("", "tend-reliability-"); err != nil {
		return err
	}
	// Traversable: nginx's workers and the experiment that runs as nobody
	// reach their files inside.
	if err := os.Chmod(cfg.tmp, 0o755); err != nil {
		return err
	}
	if out, err := command(ctx, root, "go", "env", "GOVERSION"); err == nil {
		m.Go = strings.TrimSpace(out)
	}
	rev := "HEAD"
	if cfg.commit != "" {
		rev = cfg.commit
	}
	if out, err := command(ctx, root, "git", "log", "-1", "--format=%h (%cs, %s)", rev); err == nil {
		m.Commit = strings.TrimSpace(out)
	} else {
		m.Commit = "unknown (not a git checkout?)"
	}
	src := root
	if cfg.commit != "" {
		src = filepath.Join(cfg.tmp, "src")
		os.Mkdir(src, 0o755)
		archive := exec.CommandContext(ctx, "sh", "-c", `git archive "$1" | tar -x -C "$2"`, "sh", cfg.commit, src)
		archive.Dir = root
		if out, err := archive.CombinedOutput(); err != nil {
			return fmt.Errorf("git archive %s: %v: %s", cfg.commit, err, out)
		}
		m.Tree = "from git archive " + cfg.commit
	} else if out, err := command(ctx, root, "git", "status", "--porcelain", "--untracked-files=no"); err == nil {
		if out = strings.TrimRight(out, "\n"); out != "" {
			var files []string
			for _, l := range strings.Split(out, "\n") {
				files = append(files, strings.TrimSpace(l[min(3, len(l)):]))
			}
			if len(files) > 6 {
				files = append(files[:6], "...")
			}
			m.Tree = "from the working tree, with uncommitted changes to " + strings.Join(files, ", ")
		} else {
			m.Tree = "from the working tree, clean"
		}
	}
	bin := filepath.Join(cfg.tmp, "bin")
	os.Mkdir(bin, 0o755)
	cfg.tend = filepath.Join(bin, "tend")
	began := time.Now()
	build := exec.CommandContext(ctx, "go", "build", "-o", cfg.tend, "./cmd/tend")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building tend: %v\n%s", err, out)
	}
	m.Build = time.Since(began)
	if py, err := exec.LookPath("python3"); err == nil {
		// The real interpreter, not a version manager's shim script.
		if out, err := command(ctx, "", py, "-c", "import sys; print(sys.executable)"); err == nil {
			cfg.python = strings.TrimSpace(out)
		}
	}
	return nil
}

// moduleRoot finds the folder of tend's go.mod from the current folder.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/tendhq/tend\n")) {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("run the campaign from tend's checkout (go run ./reliability): no go.mod of github.com/tendhq/tend above the current folder")
		}
		dir = up
	}
}

// command runs a short command and returns its standard output.
func command(ctx context.Context, dir, name string, args ...string) (string, error) {
	c := exec.CommandContext(ctx, name, args...)
	c.Dir = dir
	out, err := c.Output()
	return string(out), err
}

// missing says why x cannot run here, or "".
func missing(cfg *config, x *experiment) string {
	for _, p := range x.Needs {
		if p == "python3" {
			if cfg.python == "" {
				return "python3 is not installed"
			}
			continue
		}
		if _, err := exec.LookPath(p); err != nil {
			return p + " is not installed"
		}
	}
	if x.Root && os.Geteuid() != 0 {
		return "needs root"
	}
	return ""
}

// render writes the report: the table, the first failure of each
// experiment that failed, the machine and the command.
func render(cfg *config, m machine, results []*result) string {
	var b strings.Builder
	tries, failures, failed := 0, 0, 0
	for _, r := range results {
		tries += r.Tries
		failures += r.Failures
		if r.Failures > 0 {
			failed++
		}
	}
	fmt.Fprintf(&b, "| Experiment | Issue | Checked | Tries | Failures | Median / worst | Notes |\n")
	fmt.Fprintf(&b, "|---|---|---|---:|---:|---|---|\n")
	for _, r := range results {
		times := ""
		if r.X.Timed != "" && len(r.Times) > 0 {
			med, worst := medianWorst(r.Times)
			times = fmt.Sprintf("%s / %s (%s)", short(med), short(worst), r.X.Timed)
		}
		var notes []string
		if r.Skipped != "" {
			notes = append(notes, "skipped: "+r.Skipped)
		}
		for _, k := range r.order {
			notes = append(notes, fmt.Sprintf("%s: %d", k, r.counts[k]))
		}
		notes = append(notes, r.Notes...)
		if r.First != "" {
			notes = append(notes, "first failure below")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %d | %d | %s | %s |\n", r.X.Name, r.X.Issue, cell(r.X.Checks), r.Tries, r.Failures, times, cell(strings.Join(notes, "; ")))
	}
	fmt.Fprintf(&b, "\n%d experiments, %d tries, %d failures", len(results), tries, failures)
	if failed > 0 {
		fmt.Fprintf(&b, " (in %d experiments)", failed)
	}
	fmt.Fprintf(&b, "; the campaign took %s.\n", m.Took.Round(time.Second))
	if failed > 0 {
		fmt.Fprintf(&b, "\n### First failure of each failing experiment\n")
		for _, r := range results {
			if r.First == "" {
				continue
			}
			fmt.Fprintf(&b, "\n`%s`, %s:\n\n```\n%s\n```\n", r.X.Name, r.X.Checks, strings.TrimSpace(r.First))
		}
	}
	fmt.Fprintf(&b, "\nMachine: %s; %d CPUs (%s); %s memory; load average (1, 5, 15 min) %s at the start, %s at the end%s.\n",
		m.Kernel, m.CPUs, m.CPU, m.Memory, m.LoadStart, m.LoadEnd, loadRemark(m))
	fmt.Fprintf(&b, "tend %s, %s, built with %s (CGO_ENABLED=0) in %s.\n", m.Commit, m.Tree, m.Go, m.Build.Round(100*time.Millisecond))
	at := "one experiment at a time"
	if cfg.parallel > 1 {
		at = fmt.Sprintf("%d experiments at once", cfg.parallel)
	}
	fmt.Fprintf(&b, "Command: `%s` (%s).\n", m.Command, at)
	return b.String()
}

// loadRemark says when the load was high for the machine's CPUs.
func loadRemark(m machine) string {
	high := func(s string) bool {
		var one float64
		fmt.Sscan(s, &one)
		return one > float64(m.CPUs)
	}
	if high(m.LoadStart) || high(m.LoadEnd) {
		return " (high: more runnable work than CPUs)"
	}
	return ""
}

// cell makes s fit a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// short prints a duration with two or three significant digits.
func short(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Microsecond).String()
}
