package supervise

import (
	"testing"
	"time"
)

func TestRestartPolicy(t *testing.T) {
	tests := []struct {
		policy RestartPolicy
		code   int
		want   bool
	}{
		{OnFailure, 0, false},
		{OnFailure, 1, true},
		{OnFailure, 137, true},
		{OnFailure, 127, true},
		{Always, 0, true},
		{Always, 2, true},
		{Never, 0, false},
		{Never, 139, false},
	}
	for _, tt := range tests {
		if got := tt.policy.restarts(tt.code); got != tt.want {
			t.Errorf("%v.restarts(%d) = %v, want %v", tt.policy, tt.code, got, tt.want)
		}
	}
	var zero RestartPolicy
	if zero != OnFailure {
		t.Errorf("zero RestartPolicy is %v, want on-failure", zero)
	}
	for _, r := range []RestartPolicy{OnFailure, Always, Never} {
		if got, err := ParseRestartPolicy(r.String()); err != nil || got != r {
			t.Errorf("ParseRestartPolicy(%q) = %v, %v", r.String(), got, err)
		}
	}
	if got, err := ParseRestartPolicy("ALWAYS"); err != nil || got != Always {
		t.Errorf("ParseRestartPolicy(ALWAYS) = %v, %v", got, err)
	}
	if _, err := ParseRestartPolicy("sometimes"); err == nil {
		t.Error("ParseRestartPolicy(sometimes) succeeded")
	}
}

func TestBackoffSequence(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name    string
		backoff Backoff
		ranFor  []time.Duration // how long each incarnation ran
		want    []time.Duration
	}{
		{"defaults double to the cap", Backoff{}, make([]time.Duration, 12),
			[]time.Duration{0, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 6400 * ms, 12800 * ms, 25600 * ms, 30 * time.Second, 30 * time.Second}},
		{"custom cap", Backoff{Initial: 10 * ms, Max: 50 * ms}, make([]time.Duration, 5),
			[]time.Duration{0, 10 * ms, 20 * ms, 40 * ms, 50 * ms}},
		{"max below initial", Backoff{Initial: time.Second, Max: ms}, make([]time.Duration, 3),
			[]time.Duration{0, time.Second, time.Second}},
		{"long run resets", Backoff{Initial: 10 * ms, Reset: time.Second},
			[]time.Duration{0, 0, 0, time.Second, 0, 999 * ms, 2 * time.Second},
			[]time.Duration{0, 10 * ms, 20 * ms, 0, 10 * ms, 20 * ms, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			thr := newThrottle(tt.backoff, StartLimit{Burst: -1})
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
		backoff      Backoff
		limit        StartLimit
		run          time.Duration
		maxStarts    int
		wantStarts   int           // starts before giving up; maxStarts = never gave up
		wantGiveUpAt time.Duration // when it gave up
	}{
		{"defaults: instant crash fails after 5 starts", Backoff{}, StartLimit{}, 0, 50, 5, 700 * ms},
		{"burst 3", Backoff{Initial: 10 * ms}, StartLimit{Burst: 3, Interval: time.Minute}, 0, 50, 3, 10 * ms},
		{"backoff outruns the interval", Backoff{Initial: time.Second}, StartLimit{Burst: 3, Interval: 2 * time.Second}, 0, 20, 20, 0},
		{"disabled", Backoff{Initial: ms, Max: ms}, StartLimit{Burst: -1}, 0, 1000, 1000, 0},
		{"long runs reset backoff but not the limit", Backoff{Initial: ms, Reset: 50 * ms}, StartLimit{Burst: 4, Interval: time.Second}, 100 * ms, 50, 4, 400 * ms},
		{"slow crashes never fail", Backoff{Initial: ms}, StartLimit{Burst: 4, Interval: time.Second}, 300 * ms, 50, 50, 0},
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
