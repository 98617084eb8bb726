package main

import (
	"net"

	"golang.org/x/net/icmp"
)

// datagramEchoID returns the identifier that replies to requests sent on a
// datagram ICMP socket carry. Linux replaces the identifier of every request
// with the socket's local "port", and delivers only replies carrying it.
func datagramEchoID(c *icmp.PacketConn, requested int) int {
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok {
		return a.Port
	}
	return requested
}
