package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/state"
)

// Daemons that tend up brings up belong to a project, and are named
// PROJECT.NAME (shop.web), so that two projects' web stay apart. Every
// command that takes a daemon's name also takes the short name alone
// (web) when it names one daemon: the only one of that short name, or
// the one of the project whose file is in the current folder.

// projectSeparator joins a project's name and a daemon's short name.
const projectSeparator = "."

// qualified is the name of the daemon name of project.
func qualified(project, name string) string { return project + projectSeparator + name }

// projectName makes a project's name out of a folder's: the characters a
// daemon name may hold, without the separator.
func projectName(folder string) string {
	var b strings.Builder
	for _, r := range filepath.Base(folder) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '@', r == '+':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "root"
	}
	return s
}

// validProject checks a project name given with -p.
func validProject(p string) error {
	if p == "" || strings.Contains(p, projectSeparator) || state.ValidateName(p) != nil || strings.Contains(p, ":") {
		return usageErr("up", "-p %q: a project's name is 1-40 characters from A-Z a-z 0-9 _ @ + -, without '.' or ':'", p)
	}
	if len(p) > 40 {
		return usageErr("up", "-p %q: a project's name is at most 40 characters", p)
	}
	return nil
}

// daemonDir finds the daemon called name (see above) and returns its
// folder, which exists.
func daemonDir(name string) (state.Dir, error) {
	if err := state.ValidateName(name); err != nil {
		return state.Dir{}, err
	}
	store, err := openStore()
	if err != nil {
		return state.Dir{}, err
	}
	return findDaemon(store, name)
}

func findDaemon(store *state.Store, name string) (state.Dir, error) {
	dir, err := store.Existing(name)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return dir, err
	}
	if !strings.Contains(name, projectSeparator) {
		matches, here := projectMatches(store, name)
		switch {
		case len(matches) == 1:
			return store.Existing(matches[0])
		case len(here) == 1:
			return store.Existing(here[0])
		case len(matches) > 1:
			return state.Dir{}, usageErr("", "%q names several daemons: %s; give the full name", name, strings.Join(matches, ", "))
		}
	}
	return state.Dir{}, fmt.Errorf("%w: %s (see: tend list)", client.ErrUnknown, name)
}

// projectMatches returns the daemons of a project whose short name is
// name, and those of them whose project's file is in the current folder.
func projectMatches(store *state.Store, name string) (all, here []string) {
	names, err := store.List()
	if err != nil {
		return nil, nil
	}
	wd, _ := os.Getwd()
	for _, n := range names {
		if !strings.HasSuffix(n, projectSeparator+name) {
			continue
		}
		def, ok := loadDefinition(store, n)
		if !ok || def.Project == "" || qualified(def.Project, name) != n {
			continue
		}
		all = append(all, n)
		if wd != "" && filepath.Dir(def.Source) == wd {
			here = append(here, n)
		}
	}
	return all, here
}

// loadDefinition reads a daemon's stored definition, as the user gave it.
func loadDefinition(store *state.Store, name string) (*definition.Definition, bool) {
	dir, err := store.Dir(name)
	if err != nil {
		return nil, false
	}
	def, err := client.LoadDefinition(dir)
	if err != nil {
		return nil, false
	}
	return storedDefinition(def), true
}

// reportForeign prints a line on stderr for every folder in the store
// that another user owns or could have written (see state.ErrForeign):
// tend ignores them, and the user should know they are there. It
// returns how many there are.
func reportForeign(store *state.Store) int {
	foreign, _ := store.Foreign()
	for _, err := range foreign {
		fmt.Fprintf(os.Stderr, "tend: ignored: %s\n", userMessage(err))
	}
	return len(foreign)
}
