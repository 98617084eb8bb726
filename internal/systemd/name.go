package systemd

import (
	"errors"
	"fmt"
	"strings"
)

// MaxUnitNameLen is the longest unit name systemd accepts, suffix
// included (systemd.unit(5)).
const MaxUnitNameLen = 255

// longestSuffix is the longest suffix of the units tend writes.
const longestSuffix = ".service"

// UnitName returns the name, without suffix, of the units exported for
// the daemon called daemon: the name itself when systemd can take it as
// it is, else escaped the way systemd-escape(1) escapes a string.
//
// A unit name prefix may hold ASCII letters, digits, ':', '-', '_', '.'
// and '\', and one '@' that makes the unit a template or an instance of
// one (systemd.unit(5)). Daemon names may also hold '+' and '@', so every
// byte outside [A-Za-z0-9:_.-] becomes \xNN (a '+' is \x2b, an '@' is
// \x40), and so does a leading '.' or '-'. The name stays readable and
// stays the same for the usual names ("web-api" is web-api.service).
// Unlike systemd-escape, '-' is kept: it is valid in a unit name, and in a
// name that is not a path (a service or socket) it means no '/'; it only
// makes drop-in directories of each dash-separated prefix apply too
// (web-.definition.d/ applies to web-api.service). systemd-escape writes
// \x2d because its output may be unescaped as a path (--path), which a
// daemon's name never is. The mapping is one-to-one, since a daemon name
// has no '\'.
//
// The error says so when the escaped name, with ".service", would be
// longer than MaxUnitNameLen.
func UnitName(daemon string) (string, error) {
	if daemon == "" {
		return "", errors.New("systemd: the daemon has no name: give one")
	}
	var b strings.Builder
	for i := 0; i < len(daemon); i++ {
		c := daemon[i]
		if unitByte(c) && !(i == 0 && (c == '.' || c == '-')) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	name := b.String()
	if len(name)+len(longestSuffix) > MaxUnitNameLen {
		return "", fmt.Errorf("systemd: daemon %q needs the unit name %s%s, %d characters, and systemd takes at most %d: "+
			"rename the daemon, with fewer characters other than letters, digits and : _ . - (each of those takes 4)",
			daemon, name, longestSuffix, len(name)+len(longestSuffix), MaxUnitNameLen)
	}
	return name, nil
}

// unitByte reports whether c may stand for itself in a unit name.
func unitByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == ':' || c == '_' || c == '.' || c == '-'
}

// ServiceUnit returns the name of the .service unit, which is also the
// name of its file.
func (u Units) ServiceUnit() string { return u.Name + ".service" }

// TimerUnit returns the name of the .timer unit of a schedule, which is
// also the name of its file, or "" when there is none.
func (u Units) TimerUnit() string {
	if u.Timer == "" {
		return ""
	}
	return u.Name + ".timer"
}

// SocketUnit returns the name of the .socket unit, which is also the name
// of its file, or "" when there is no socket unit.
func (u Units) SocketUnit() string {
	if u.Socket == "" {
		return ""
	}
	return u.Name + ".socket"
}

// WithAfter returns u with its service ordered after, and requiring, the
// services exported for the daemons named (their after list in a
// tend.toml): an After= and a Requires= line naming their units, escaped
// as UnitName escapes them, at the top of the [Unit] section. With no
// daemons, u is returned as it is.
func (u Units) WithAfter(daemons []string) (Units, error) {
	if len(daemons) == 0 {
		return u, nil
	}
	names := make([]string, len(daemons))
	for i, d := range daemons {
		n, err := UnitName(d)
		if err != nil {
			return Units{}, err
		}
		names[i] = n + ".service"
	}
	list := strings.Join(names, " ")
	lines := "After=" + list + "\nRequires=" + list + "\n"
	const section = "[Unit]\n"
	if i := strings.Index(u.Service, section); i >= 0 {
		i += len(section)
		u.Service = u.Service[:i] + lines + u.Service[i:]
	} else {
		u.Service = section + lines + "\n" + u.Service
	}
	return u, nil
}
