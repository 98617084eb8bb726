package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tendhq/tend/internal/definition"
)

// FuzzParseDefinition feeds `tend start NAME` arbitrary options (the input
// split at NUL bytes): parsing never panics, refuses only with a usage
// error, and a definition it accepts comes back unchanged from the options
// that Definition.Args gives for it (which is how restart starts it again).
func FuzzParseDefinition(f *testing.F) {
	for _, s := range []string{
		"--\x00sleep\x0060",
		"--dir\x00/srv\x00--env\x00A=B\x00--env\x00C=\x00--\x00./server\x00-v",
		"--restart\x00always\x00--backoff\x001ms\x00--backoff-max\x002ms\x00--start-limit\x00-1\x00--\x00false",
		"--stop-schedule\x00TERM/10/KILL/5\x00--stop-signal\x00HUP\x00--\x00x",
		"--umask\x00077\x00--log\x00rel/out.log\x00--log-max-size\x00-1\x00--log-compress\x00--\x00x",
		"--env\x00=x\x00--\x00x", "--umask\x00999\x00--\x00x", "--group\x00g\x00--\x00x", "--nope", "",
		"--env-file\x00/dev/null\x00--clear-env\x00--no-timestamps\x00--\x00x\x00--\x00y",
		"--backoff\x00-5s\x00--\x00x", "--dir\x00rel\x00--\x00x", "--\x00", "--\x00\x00",
		"--log-max-size\x0010M\x00--backoff\x0010\x00--tty\x00--\x00x", "--stop-schedule=\x00--\x00x", "-h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		args := strings.Split(in, "\x00")
		def, err := parseDefinition("web", args)
		if err != nil {
			if !errors.Is(err, definition.ErrUsage) {
				t.Fatalf("parseDefinition(%q) = %v; want a usage error", args, err)
			}
			return
		}
		again, err := parseDefinition("web", def.Args())
		if err != nil {
			t.Fatalf("options %q of an accepted definition are refused: %v", def.Args(), err)
		}
		def.BaseEnv, again.BaseEnv = nil, nil // the same environ(7), and long
		if !reflect.DeepEqual(def, again) {
			t.Fatalf("round trip of %q through %q:\n got %+v\nwant %+v", args, def.Args(), again, def)
		}
	})
}
