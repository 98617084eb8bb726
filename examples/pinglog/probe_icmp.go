package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// ICMP protocol numbers, for icmp.ParseMessage.
const (
	protoICMP   = 1
	protoICMPv6 = 58
)

// icmpProber sends ICMP echo requests on one socket, opened at start and kept
// for the daemon's life, and matches replies by identifier, sequence number
// and payload, ignoring every other ICMP message the socket sees (a raw
// socket sees them all, including other programs' pings).
type icmpProber struct {
	conn     *icmp.PacketConn
	dst      net.Addr // *net.UDPAddr for a datagram socket, *net.IPAddr for a raw one
	target   netip.Addr
	proto    int
	request  icmp.Type
	reply    icmp.Type
	id       int // the identifier requests carry
	replyID  int // the identifier their replies carry (see datagramEchoID)
	seq      int // sequence number of the last request, 16 bits
	buf      []byte
	deadline time.Time
}

// newICMPProber opens an unprivileged ICMP datagram socket (Linux allows it
// when net.ipv4.ping_group_range includes our group), else a raw socket
// (root or CAP_NET_RAW). kind says which.
func newICMPProber(target netip.Addr) (*icmpProber, string, error) {
	p := &icmpProber{target: target, buf: make([]byte, 1500), id: os.Getpid() & 0xffff}
	p.replyID = p.id
	dgram, raw, wildcard := "udp4", "ip4:icmp", "0.0.0.0"
	p.proto, p.request, p.reply = protoICMP, ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
	if target.Is6() {
		dgram, raw, wildcard = "udp6", "ip6:ipv6-icmp", "::"
		p.proto, p.request, p.reply = protoICMPv6, ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply
	}
	ip := net.IP(target.AsSlice())
	conn, derr := icmp.ListenPacket(dgram, wildcard)
	if derr == nil {
		p.conn, p.dst = conn, &net.UDPAddr{IP: ip, Zone: target.Zone()}
		p.replyID = datagramEchoID(conn, p.id)
		return p, "unprivileged datagram socket", nil
	}
	conn, rerr := icmp.ListenPacket(raw, wildcard)
	if rerr == nil {
		p.conn, p.dst = conn, &net.IPAddr{IP: ip, Zone: target.Zone()}
		return p, "raw socket", nil
	}
	return nil, "", fmt.Errorf("icmp not permitted: datagram socket: %v; raw socket: %v", derr, rerr)
}

func (p *icmpProber) Method() string { return "icmp" }
func (p *icmpProber) Target() string { return p.target.String() }
func (p *icmpProber) Close() error   { return p.conn.Close() }

// Probe sends one echo request and waits for its reply.
func (p *icmpProber) Probe(ctx context.Context) Result {
	p.seq = (p.seq + 1) & 0xffff
	payload := binary.BigEndian.AppendUint64([]byte("pinglog "), uint64(time.Now().UnixNano()))
	msg := icmp.Message{Type: p.request, Body: &icmp.Echo{ID: p.id, Seq: p.seq, Data: payload}}
	wire, err := msg.Marshal(nil) // the kernel fills in the ICMPv6 checksum
	if err != nil {
		return Result{Status: StatusError, Err: err}
	}

	// Reads end at ctx's deadline, or at once when ctx is cancelled. The
	// callback must be finished before the next probe sets its own
	// deadline, hence the wait on done.
	deadline, _ := ctx.Deadline()
	if err := p.conn.SetDeadline(deadline); err != nil {
		return Result{Status: StatusError, Err: err}
	}
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		p.conn.SetDeadline(time.Unix(1, 0))
		close(done)
	})
	defer func() {
		if !stop() {
			<-done
		}
	}()

	start := time.Now()
	if _, err := p.conn.WriteTo(wire, p.dst); err != nil {
		return resultOf(ctx, err)
	}
	for {
		n, peer, err := p.conn.ReadFrom(p.buf)
		if err != nil {
			return resultOf(ctx, err)
		}
		if p.isReply(p.buf[:n], peer, payload) {
			return Result{Status: StatusOK, RTT: time.Since(start)}
		}
	}
}

// isReply says whether b, received from peer, is the reply to the request
// carrying payload.
func (p *icmpProber) isReply(b []byte, peer net.Addr, payload []byte) bool {
	m, err := icmp.ParseMessage(p.proto, b)
	if err != nil || m.Type != p.reply {
		return false
	}
	echo, ok := m.Body.(*icmp.Echo)
	if !ok || echo.ID != p.replyID || echo.Seq != p.seq || !bytes.Equal(echo.Data, payload) {
		return false
	}
	var from net.IP
	switch a := peer.(type) {
	case *net.UDPAddr:
		from = a.IP
	case *net.IPAddr:
		from = a.IP
	}
	got, ok := netip.AddrFromSlice(from)
	return ok && got.Unmap() == p.target.WithZone("")
}
