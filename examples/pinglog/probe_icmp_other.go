//go:build !linux

package main

import "golang.org/x/net/icmp"

// datagramEchoID returns the identifier that replies to requests sent on a
// datagram ICMP socket carry: on systems other than Linux (Darwin, the BSDs)
// the kernel keeps the one we chose.
func datagramEchoID(_ *icmp.PacketConn, requested int) int { return requested }
