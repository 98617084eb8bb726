package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// resolveTimeout bounds the name lookup the daemon does before it is ready.
const resolveTimeout = 10 * time.Second

// errReservedName is the lookup error for names under the .invalid top-level
// domain, which RFC 6761 reserves as guaranteed not to exist: they fail
// without asking any DNS server.
var errReservedName = errors.New("no such host (.invalid names never exist, RFC 6761)")

// resolveTarget turns the -target value into the one address the daemon
// probes for its whole life (the first one the resolver returns).
func resolveTarget(ctx context.Context, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap(), probeable(a)
	}
	if name := strings.ToLower(strings.TrimSuffix(host, ".")); name == "invalid" || strings.HasSuffix(name, ".invalid") {
		return netip.Addr{}, fmt.Errorf("resolve target %s: %w", host, errReservedName)
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("resolve target %s: %w", host, err)
	}
	for _, a := range addrs {
		if probeable(a) == nil {
			return a.Unmap(), nil
		}
	}
	return netip.Addr{}, fmt.Errorf("resolve target %s: no unicast address among %v", host, addrs)
}

// probeable says why a is not the address of one host we could probe.
func probeable(a netip.Addr) error {
	a = a.Unmap()
	switch {
	case a.IsUnspecified():
		return errors.New("the unspecified address is not a host")
	case a.IsMulticast():
		return errors.New("a multicast address is not one host")
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return errors.New("the broadcast address is not one host")
	}
	return nil
}
