package main

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

// TestICMPIgnoresStrayReplies makes every reply look like someone else's
// (wrong identifier): the probe must time out at its deadline, then cancel
// promptly, and the socket must still work afterwards.
func TestICMPIgnoresStrayReplies(t *testing.T) {
	t.Parallel()
	p, kind, err := newICMPProber(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Skip(err)
	}
	defer p.Close()
	realID := p.replyID
	p.replyID ^= 0x5555

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if res := p.Probe(ctx); res.Status != StatusTimeout {
		t.Errorf("%s: probe with unmatched replies: %v %v; want timeout", kind, res.Status, res.Err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	if res := p.Probe(ctx); res.Status != StatusCancelled {
		t.Errorf("%s: cancelled probe: %v %v; want cancelled", kind, res.Status, res.Err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancelled probe took %s", d)
	}

	p.replyID = realID
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if res := p.Probe(ctx); res.Status != StatusOK {
		t.Errorf("%s: probe after the others: %v %v; want ok", kind, res.Status, res.Err)
	}
}
