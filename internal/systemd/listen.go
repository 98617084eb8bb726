package systemd

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/tendhq/tend/internal/definition"
)

// maxSocketPath is the longest path of a unix socket: sun_path holds 108
// bytes with the terminating NUL. systemd refuses longer ones.
const maxSocketPath = 107

// listenStream returns l as a ListenStream= value, and a note for the
// unit when the value differs from what tend binds. systemd takes an IP
// address with a port, or a port alone, and resolves nothing (which is
// right: a unit must not depend on the network to be read), so a host
// name is refused, except localhost, which is 127.0.0.1: the address tend
// itself binds for it, since Go prefers IPv4 when a name has both. Port 0
// (any free port, which tend allows) is refused: a .socket unit needs a
// port that clients can know.
func listenStream(l definition.ListenSocket, spec string) (addr, note string, err error) {
	if l.Network == "unix" {
		if len(l.Address) > maxSocketPath {
			return "", "", fmt.Errorf("systemd: --listen %q: a unix socket path is at most %d bytes: give a shorter path", spec, maxSocketPath)
		}
		v, err := value("--listen", l.Address)
		return v, "", err
	}
	host, portText, err := net.SplitHostPort(l.Address)
	if err != nil {
		return "", "", fmt.Errorf("systemd: --listen %q: want tcp://HOST:PORT: %v", spec, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	switch {
	case err != nil:
		return "", "", fmt.Errorf("systemd: --listen %q: a .socket unit takes the port as a number from 1 to 65535, not %q: give the number", spec, portText)
	case port == 0:
		return "", "", fmt.Errorf("systemd: --listen %q: port 0 asks for any free port, which a .socket unit cannot do: give a fixed port", spec)
	}
	if host == "" {
		return portText, "", nil // every address, as tend binds ":PORT"
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return "127.0.0.1:" + portText,
			fmt.Sprintf("tend binds %s by name; systemd takes addresses only: 127.0.0.1, which is what tend binds for localhost.", comment(l.Address)), nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "", "", fmt.Errorf("systemd: --listen %q: a .socket unit listens on an IP address, and %q is a host name that systemd does not resolve: "+
			"give an address such as 127.0.0.1 or [::1], or only the port (tcp://:%s) for every address", spec, host, portText)
	}
	if ip.IsUnspecified() {
		// Go, and so tend, listens on every address, IPv4 and IPv6, for
		// 0.0.0.0 and [::]; systemd does for a port alone (0.0.0.0 would
		// be IPv4 only).
		return portText, fmt.Sprintf("tend binds %s, which is every address, IPv4 and IPv6; so is a port alone for systemd.", comment(l.Address)), nil
	}
	if ip.Zone() != "" {
		return "", "", fmt.Errorf("systemd: --listen %q: give the address without its zone %q, and add BindToDevice=%s to the .socket unit by hand",
			spec, ip.Zone(), ip.Zone())
	}
	return netip.AddrPortFrom(ip, uint16(port)).String(), "", nil
}

// listen fills in the socket unit's settings from def's --listen sockets.
func (u *unit) listen(def *definition.Definition) error {
	socks, err := def.ListenSockets()
	if err != nil {
		return err
	}
	differ := false
	for i, l := range socks {
		addr, note, err := listenStream(l, def.Listen[i])
		if err != nil {
			return err
		}
		u.Listen = append(u.Listen, addr)
		if note != "" {
			u.SocketNotes = append(u.SocketNotes, note)
		}
		differ = differ || l.Name != socks[0].Name
	}
	if differ {
		u.Notes = append(u.Notes, splitNote)
	}
	if def.SocketMode != "" {
		u.SocketMode = fmt.Sprintf("%04o", def.SocketFileMode())
	}
	if u.SocketUser, err = value("--socket-user", def.SocketUser); err != nil {
		return err
	}
	if u.SocketGroup, err = value("--socket-group", def.SocketGroup); err != nil {
		return err
	}
	if len(socks) > 0 {
		if !fdName(socks[0].Name) {
			return fmt.Errorf("systemd: --listen %q: systemd takes a descriptor name of printable ASCII without ':': rename it", def.Listen[0])
		}
		u.FDName = socks[0].Name
	}
	return nil
}

// splitNote says that tend's --listen names differ.
const splitNote = "systemd names all the sockets of one .socket unit alike; tend's --listen names differ: split the socket unit to keep them."

// fdName reports whether systemd takes s as FileDescriptorName=: at most
// 255 printable ASCII characters, no ':'.
func fdName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' || s[i] == ':' {
			return false
		}
	}
	return true
}
