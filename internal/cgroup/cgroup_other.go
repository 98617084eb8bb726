//go:build !linux

package cgroup

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// errNoCgroups is the error of every operation where cgroups do not exist.
var errNoCgroups = fmt.Errorf("%w: cgroups are Linux-only", errors.ErrUnsupported)

func parent() (string, error) { return "", errNoCgroups }

func create(parent, name string) (*Group, error) { return nil, errNoCgroups }

func open(path string) (*Group, error) { return nil, errNoCgroups }

func (g *Group) fd() (*os.File, error) { return nil, errNoCgroups }

func (g *Group) procs() ([]int, error) { return nil, errNoCgroups }

func (g *Group) populated() (bool, error) { return false, errNoCgroups }

func (g *Group) signal(sig syscall.Signal) (int, error) { return 0, errNoCgroups }

func (g *Group) kill() error { return errNoCgroups }

func (g *Group) remove(timeout time.Duration) error { return errNoCgroups }

func (g *Group) watch() (*Watch, error) { return nil, errNoCgroups }
