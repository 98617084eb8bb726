//go:build !linux

package main

import (
	"context"
	"errors"
	"runtime"
)

// The campaign reads /proc, makes cgroups and mounts tmpfs: it runs on
// Linux only. Elsewhere the program builds and says so.

type env struct{}

func experiments() []*experiment { return nil }

func newEnv(*config, *experiment, int) (*env, error) {
	return nil, errors.New("the campaign runs on Linux only")
}

func (*env) afterTry(context.Context) string { return "" }

func (*env) close() []string { return nil }

func systemFacts() (kernel, cpu, memory string) { return runtime.GOOS, "unknown", "unknown" }

func loadAverage() string { return "unknown" }
