package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

// failedWhy says why a daemon failed for good, from its error and how it
// last ended (its last exit), which is said once: the error of a start
// limit hit says it already.
func failedWhy(err, last string) string {
	if strings.Contains(err, last) {
		return err
	}
	return err + "; last exit: " + last
}

// notifyHint says why a daemon with --ready notify whose start failed
// because it was not ready in time may never have sent READY=1, or ""
// for any other daemon or failure (a crash says what it was by itself).
// Its last exit is then tend's doing (often a clean exit 0 on TERM),
// which says nothing of the cause. The record keeps no start time once
// the daemon has failed, so the failure is known by its error, the one
// the supervisor's machine writes when the ready timeout passes
// (internal/supervisor, notReady: NAME was not ready within TIMEOUT).
func notifyHint(def *definition.Definition, v *client.View) string {
	if def == nil || def.Readiness().Kind != definition.ReadyNotify || v.Condition != client.Condition(status.Failed) ||
		v.Err != fmt.Sprintf("%s was not ready within %v", v.Name, def.ReadyTimeoutOrDefault()) {
		return ""
	}
	return fmt.Sprintf("%s never sent READY=1 over sd_notify (--ready notify), so tend stopped it; "+
		"some programs send it only when asked to, as redis-server --supervised systemd", v.Name)
}

// printNotifyHint prints the notifyHint of dir's daemon, if it has one,
// on stderr after a start or restart that failed.
func printNotifyHint(dir state.Dir, def *definition.Definition) {
	if v, err := client.Inspect(dir); err == nil {
		if hint := notifyHint(def, v); hint != "" {
			fmt.Fprintf(os.Stderr, "note: %s\n", hint)
		}
	}
}
