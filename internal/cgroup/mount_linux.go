package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// mount is one cgroup2 mount: which group of the hierarchy (root) appears
// at which directory (point). Root is "/" unless a subtree was bind-mounted
// or the mount was made inside a cgroup namespace.
type mount struct {
	root, point string
}

// parent finds the caller's own group in a cgroup2 mount and checks that a
// group can be made there.
func parent() (string, error) {
	mounts, err := cgroup2Mounts()
	if err != nil {
		return "", err
	}
	if len(mounts) == 0 {
		return "", fmt.Errorf("%w: no cgroup2 file system mounted", errors.ErrUnsupported)
	}
	own, err := ownGroup()
	if err != nil {
		return "", err
	}
	dir, ok := locate(mounts, own)
	if !ok {
		return "", fmt.Errorf("%w: own group %s is not visible under any cgroup2 mount", errors.ErrUnsupported, own)
	}
	// Trying is the only sure test: permissions, a read-only mount,
	// nsdelegate and cgroup.max.descendants all decide, and access(2) sees
	// only the first two. The name exists already, or is gone before the
	// rmdir, when another goroutine of this process probes at once.
	probe := filepath.Join(dir, ".tend-probe-"+strconv.Itoa(os.Getpid()))
	if err := unix.Mkdir(probe, 0o755); err != nil && err != unix.EEXIST {
		return "", fmt.Errorf("%w: cannot create a group in %s: %w", errors.ErrUnsupported, dir, err)
	}
	if err := unix.Rmdir(probe); err != nil && err != unix.ENOENT {
		return "", fmt.Errorf("remove trial group %s: %w", probe, err)
	}
	return dir, nil
}

// cgroup2Mounts lists the cgroup2 mounts the calling process sees.
func cgroup2Mounts() ([]mount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseMountinfo(f)
}

// parseMountinfo returns the cgroup2 entries of a mountinfo file, whose
// lines read (proc(5)):
//
//	36 35 98:0 /root /mount/point rw,noatime master:1 - cgroup2 cgroup2 rw
//
// The optional fields before "-" vary in number, so the file system type is
// found after the "-" field.
func parseMountinfo(r io.Reader) ([]mount, error) {
	var mounts []mount
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for i := 6; i+1 < len(fields); i++ {
			if fields[i] == "-" {
				if fields[i+1] == "cgroup2" {
					mounts = append(mounts, mount{root: unescape(fields[3]), point: unescape(fields[4])})
				}
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return mounts, nil
}

// unescape undoes mountinfo's octal escapes of space, tab, newline and
// backslash ("\040" for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ownGroup returns the calling process's cgroup v2 path, relative to the
// root of its cgroup namespace.
func ownGroup() (string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	defer f.Close()
	return parseCgroupFile(f)
}

// parseCgroupFile returns the path of the "0::PATH" line of a
// /proc/PID/cgroup file, the cgroup v2 entry. Lines for v1 hierarchies read
// "ID:CONTROLLERS:PATH" and are skipped.
func parseCgroupFile(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if path, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			return path, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read /proc/self/cgroup: %w", err)
	}
	return "", fmt.Errorf("%w: no cgroup v2 entry in /proc/self/cgroup", errors.ErrUnsupported)
}

// locate returns the directory where group own appears in one of mounts.
// A group outside a mount's root, or outside the cgroup namespace (the
// kernel then prints a path starting "/.."), is not visible in that mount.
func locate(mounts []mount, own string) (string, bool) {
	if !strings.HasPrefix(own, "/") || strings.Contains(own+"/", "/../") {
		return "", false
	}
	for _, m := range mounts {
		rel, ok := strings.CutPrefix(own, m.root)
		if m.root == "/" {
			rel, ok = own, true
		}
		if ok && (rel == "" || rel[0] == '/') {
			return filepath.Join(m.point, rel), true
		}
	}
	return "", false
}

// inCgroup2 reports an error unless path is a directory of a cgroup2 file
// system.
func inCgroup2(path string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return err
	}
	if st.Type != unix.CGROUP2_SUPER_MAGIC {
		return fmt.Errorf("%w: not a cgroup2 file system", errors.ErrUnsupported)
	}
	return nil
}
