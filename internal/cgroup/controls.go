package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoController is wrapped by SetControl's error when the group's
// parent does not enable the controller the file belongs to.
var ErrNoController = errors.New("cgroup: controller not enabled")

// SetControl writes value to one of the group's controller files, such as
// memory.max, cpu.max or pids.max. The controller ("memory", "cpu",
// "pids") must be enabled in the parent's cgroup.subtree_control; where it
// is not (a hybrid hierarchy keeps it in cgroup v1, or the parent does not
// delegate it), the error wraps ErrNoController and says so.
func (g *Group) SetControl(file, value string) error {
	controller, _, _ := strings.Cut(file, ".")
	b, err := os.ReadFile(filepath.Join(filepath.Dir(g.path), "cgroup.subtree_control"))
	if err != nil {
		return fmt.Errorf("cgroup: %s: %w", g.path, err)
	}
	if !strings.Contains(" "+strings.TrimSpace(string(b))+" ", " "+controller+" ") {
		return fmt.Errorf("%w: %s of %s needs the %s controller, which its parent does not enable (cgroup.subtree_control: %q)",
			ErrNoController, file, g.path, controller, strings.TrimSpace(string(b)))
	}
	f, err := os.OpenFile(filepath.Join(g.path, file), os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s has no %s", ErrNoController, g.path, file)
	}
	if err != nil {
		return fmt.Errorf("cgroup: %s: %w", g.path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(value); err != nil {
		return fmt.Errorf("cgroup: write %q to %s/%s: %w", value, g.path, file, err)
	}
	return nil
}
