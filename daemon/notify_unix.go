//go:build unix

package daemon

import (
	"fmt"
	"net"
	"strings"
)

// sdNotify sends one datagram of state to the sd_notify socket at addr (a
// path, or "@name" for Linux's abstract namespace). It reports true once the
// datagram is sent.
func sdNotify(addr, state string) (bool, error) {
	if addr == "" {
		return false, nil
	}
	name := addr
	if strings.HasPrefix(name, "@") {
		name = "\x00" + name[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("daemon: notify %s: %w", addr, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, fmt.Errorf("daemon: notify %s: %w", addr, err)
	}
	return true, nil
}
