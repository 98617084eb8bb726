package host

import (
	"unique"

	"github.com/tendhq/tend/internal/definition"
)

// intern makes the environment strings of def the host's canonical
// copies: the daemons of one shell or one file carry the same
// environment, which a host of many daemons then holds once rather than
// once per daemon.
func intern(def *definition.Definition) {
	for _, env := range [][]string{def.BaseEnv, def.Env} {
		for i, kv := range env {
			env[i] = unique.Make(kv).Value()
		}
	}
}
