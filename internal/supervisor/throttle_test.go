package supervisor

import (
	"github.com/tendhq/tend/internal/definition"
	"testing"
	"time"
)

func TestBackoffSequence(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name    string
		backoff definition.Backoff
		ranFor  []time.Duration // how long each incarnation ran
		want    []time.Duration
	}{
		{"defaults double to the cap", definition.Backoff{}, make([]time.Duration, 12),
			[]time.Duration{0, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 6400 * ms, 12800 * ms, 25600 * ms, 30 * time.Second, 30 * time.Second}},
		{"custom cap", definition.Backoff{Initial: 10 * ms, Max: 50 * ms}, make([]time.Duration, 5),
			[]time.Duration{0, 10 * ms, 20 * ms, 40 * ms, 50 * ms}},
		{"max below initial", definition.Backoff{Initial: time.Second, Max: ms}, make([]time.Duration, 3),
			[]time.Duration{0, time.Second, time.Second}},
		{"long run resets", definition.Backoff{Initial: 10 * ms, Reset: time.Second},
			[]time.Duration{0, 0, 0, time.Second, 0, 999 * ms, 2 * time.Second},
			[]time.Duration{0, 10 * ms, 20 * ms, 0, 10 * ms, 20 * ms, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			thr := newThrottle(tt.backoff, definition.StartLimit{Burst: -1})
			now := time.Unix(1000, 0)
			for i, ran := range tt.ranFor {
				d, ok := thr.next(now, ran)
				if !ok || d != tt.want[i] {
					t.Fatalf("restart %d: next = %v, %v; want %v", i+1, d, ok, tt.want[i])
				}
				now = now.Add(d)
				thr.started(now)
			}
		})
	}
}

// TestStartLimit drives a crash loop on a fake clock: the child runs for
// run each time, and the throttle decides when to give up.
func TestStartLimit(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name         string
		backoff      definition.Backoff
		limit        definition.StartLimit
		run          time.Duration
		maxStarts    int
		wantStarts   int           // starts before giving up; maxStarts = never gave up
		wantGiveUpAt time.Duration // when it gave up
	}{
		{"defaults: instant crash fails after 5 starts", definition.Backoff{}, definition.StartLimit{}, 0, 50, 5, 700 * ms},
		{"burst 3", definition.Backoff{Initial: 10 * ms}, definition.StartLimit{Burst: 3, Interval: time.Minute}, 0, 50, 3, 10 * ms},
		{"backoff outruns the interval", definition.Backoff{Initial: time.Second}, definition.StartLimit{Burst: 3, Interval: 2 * time.Second}, 0, 20, 20, 0},
		{"disabled", definition.Backoff{Initial: ms, Max: ms}, definition.StartLimit{Burst: -1}, 0, 1000, 1000, 0},
		{"long runs reset backoff but not the limit", definition.Backoff{Initial: ms, Reset: 50 * ms}, definition.StartLimit{Burst: 4, Interval: time.Second}, 100 * ms, 50, 4, 400 * ms},
		{"slow crashes never fail", definition.Backoff{Initial: ms}, definition.StartLimit{Burst: 4, Interval: time.Second}, 300 * ms, 50, 50, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			thr := newThrottle(tt.backoff, tt.limit)
			t0 := time.Unix(1000, 0)
			now := t0
			starts := 0
			for starts < tt.maxStarts {
				thr.started(now)
				starts++
				now = now.Add(tt.run)
				d, ok := thr.next(now, tt.run)
				if !ok {
					break
				}
				now = now.Add(d)
			}
			if starts != tt.wantStarts {
				t.Fatalf("gave up after %d starts, want %d", starts, tt.wantStarts)
			}
			if starts < tt.maxStarts {
				if got := now.Sub(t0); got != tt.wantGiveUpAt {
					t.Errorf("gave up at %v, want %v", got, tt.wantGiveUpAt)
				}
			}
		})
	}
}
