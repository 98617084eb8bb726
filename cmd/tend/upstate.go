package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tendhq/tend/internal/config"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/envfile"
	"github.com/tendhq/tend/internal/state"
)

// What tend up keeps of each daemon, how it compares definitions, and the
// order in which it acts on them.

// upMarker is up.json in a daemon's folder: which file the daemon was
// last brought up from, and a digest of its env files' contents then.
type upMarker struct {
	Source    string `json:"source"`
	EnvDigest string `json:"env_digest,omitzero"`
}

func markerPath(dir state.Dir) string { return filepath.Join(dir.Path, "up.json") }

func readMarker(dir state.Dir) (upMarker, bool) {
	var m upMarker
	err := state.ReadJSON(markerPath(dir), &m)
	return m, err == nil
}

// envDigest hashes the env files' contents, so that editing one counts as
// a change of the definition.
func envDigest(files []string) string {
	if len(files) == 0 {
		return ""
	}
	h := sha256.New()
	for _, f := range files {
		b, err := envfile.ReadFile(f)
		if err != nil {
			b = []byte("\x00missing")
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// expected is the definition `tend start` will store for d: its options
// rendered and parsed again the way tend start parses them.
func expected(d *config.Daemon) (*definition.Definition, error) {
	def, err := parseDefinition("start", d.Name, d.Definition.Args(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	return def, nil
}

// changes names the fields in which two definitions differ: those a
// reload applies, and the others. BaseEnv, the environment of whoever
// ran tend up or tend start, is not compared.
func changes(old, new *definition.Definition) (reloadable, other []string) {
	next := *new
	next.BaseEnv = old.BaseEnv
	return old.Changes(&next)
}

// maxParallel bounds how many daemons up and down handle at once.
const maxParallel = 8

// runGraph runs do for every daemon of order (which lists every daemon
// after those deps names for it), each once do has returned for its deps,
// independent ones in parallel. A daemon whose deps failed is skipped.
// Failures are reported and returned by name.
func runGraph(order []*config.Daemon, deps func(*config.Daemon) []string, do func(*config.Daemon) error,
	report func(name, format string, args ...any)) map[string]error {
	done := map[string]chan struct{}{}
	for _, d := range order {
		done[d.Name] = make(chan struct{})
	}
	var mu sync.Mutex
	errs := map[string]error{}
	sem := make(chan struct{}, maxParallel)
	var wg sync.WaitGroup
	for _, d := range order {
		wg.Go(func() {
			defer close(done[d.Name])
			var failed []string
			for _, dep := range deps(d) {
				if ch, ok := done[dep]; ok {
					<-ch
					mu.Lock()
					if errs[dep] != nil {
						failed = append(failed, dep)
					}
					mu.Unlock()
				}
			}
			var err error
			if len(failed) > 0 {
				err = fmt.Errorf("skipped: %s failed", strings.Join(failed, ", "))
				report(d.Name, "%v", err)
			} else {
				sem <- struct{}{}
				err = do(d)
				<-sem
				if err != nil {
					report(d.Name, "failed: %v", err)
				}
			}
			mu.Lock()
			if err != nil {
				errs[d.Name] = err
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return errs
}
