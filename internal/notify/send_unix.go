//go:build unix

package notify

import (
	"fmt"
	"net"
	"strings"
)

// Send sends state (KEY=VALUE lines) as one datagram to the notify socket
// at addr (a path, or "@name"), as a daemon does with sd_notify. tend run
// uses it to tell its own service manager that the daemon is ready.
func Send(addr, state string) error {
	name := addr
	if strings.HasPrefix(name, "@") {
		name = "\x00" + name[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify: send to %s: %w", addr, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("notify: send to %s: %w", addr, err)
	}
	return nil
}
