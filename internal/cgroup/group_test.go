package cgroup

import (
	"errors"
	"strings"
	"testing"
)

func TestCreateRefusesBadNames(t *testing.T) {
	for _, name := range []string{
		"",
		".",
		"..",
		"a/b",
		"/abs",
		"new\nline",
		"tab\there",
		"del\x7f",
		"c1\u0085",
		strings.Repeat("x", 256),
	} {
		_, err := Create("/nonexistent", name)
		if !errors.Is(err, ErrInvalidName) {
			t.Errorf("Create(%q): err = %v, want ErrInvalidName", name, err)
		}
	}
}

func TestCheckNameAccepts(t *testing.T) {
	for _, name := range []string{
		"web",
		"my.app",
		"...",
		".hidden",
		"1",
		"ünïcode",
		"with space",
		strings.Repeat("x", 255),
	} {
		if err := checkName(name); err != nil {
			t.Errorf("checkName(%q) = %v", name, err)
		}
	}
}
