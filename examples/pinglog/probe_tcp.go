package main

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// tcpProber checks a host by opening a TCP connection to one of its ports.
// A refused connection counts as the host being up: only a live host sends
// the RST that refuses it.
type tcpProber struct {
	addr   netip.AddrPort
	dialer net.Dialer
}

func newTCPProber(addr netip.Addr, port int) *tcpProber {
	return &tcpProber{addr: netip.AddrPortFrom(addr, uint16(port))}
}

func (p *tcpProber) Method() string { return "tcp" }
func (p *tcpProber) Target() string { return p.addr.String() }
func (p *tcpProber) Close() error   { return nil }

// Probe connects and closes the connection at once.
func (p *tcpProber) Probe(ctx context.Context) Result {
	start := time.Now()
	conn, err := p.dialer.DialContext(ctx, "tcp", p.addr.String())
	rtt := time.Since(start)
	if err == nil {
		conn.Close()
		return Result{Status: StatusOK, RTT: rtt}
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return Result{Status: StatusRefused, RTT: rtt}
	}
	return resultOf(ctx, err)
}
