package api

import (
	"errors"
	"strings"
)

// Message is err's text for a user: each error of its chain says what it
// adds, without the name of the package it comes from ("state: ",
// "proc: "), which means nothing to a user. Only the text an error adds
// before the one it wraps is looked at, so a daemon named after a package
// ("signal config: not running") keeps its name.
func Message(err error) string {
	var b strings.Builder
	for err != nil {
		text := err.Error()
		inner := errors.Unwrap(err)
		own := text
		if inner != nil && strings.HasSuffix(text, inner.Error()) {
			own = strings.TrimSuffix(text, inner.Error())
		} else {
			inner = nil // what it wraps is not at its end: take it whole
		}
		b.WriteString(withoutPackage(own))
		err = inner
	}
	return b.String()
}

// withoutPackage is s without a leading "PACKAGE: " of one of tend's
// packages.
func withoutPackage(s string) string {
	pkg, rest, ok := strings.Cut(s, ": ")
	if ok && packageName(pkg) {
		return rest
	}
	return s
}

// packageName reports whether p names a package of tend whose errors
// start with its name.
func packageName(p string) bool {
	switch p {
	case "usage", "state", "logcap", "envfile", "proc", "config", "systemd", "control", "supervise",
		"supervisor", "pidfile", "cgroup", "account", "probe", "notify", "daemon", "client", "definition", "flag",
		"keeper", "host", "watch":
		return true
	}
	return false
}
