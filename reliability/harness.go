package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// experiment is one row of the campaign: a finding of issue 13 or 12,
// reproduced Tries times, each try checking the outcome the issue asks for.
type experiment struct {
	// Name is the row's name, also what -only matches.
	Name string
	// Issue says which finding it reproduces: "13.1", "12".
	Issue string
	// Checks says, for the table, what a try checks.
	Checks string
	// Tries and ShortTries are the default counts, for a full and a
	// -short run.
	Tries, ShortTries int
	// Deadline bounds one try (30 s when zero); the experiment as a whole
	// starts no try after Tries x Deadline.
	Deadline time.Duration
	// Needs names the programs it runs besides tend; Root says that it
	// needs root (mounts, other users, nginx's workers). Without them it
	// is skipped, except under CI for a missing program, which .ci/run
	// installs.
	Needs []string
	Root  bool
	// Timed says what the median/worst column measures (t.measure), or
	// "" when timing does not matter.
	Timed string
	// Try is one try. It returns nil when every check held, or what
	// happened and what was expected.
	Try func(t *T) error
}

// result is an experiment's row.
type result struct {
	X        *experiment
	Tries    int
	Failures int
	Times    []time.Duration
	Took     time.Duration
	First    string // the first failure, in full
	Skipped  string
	Notes    []string
	counts   map[string]int
	order    []string
}

// count adds n to a counter that the notes column shows ("restarts 12").
func (r *result) count(key string, n int) {
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	if _, ok := r.counts[key]; !ok {
		r.order = append(r.order, key)
	}
	r.counts[key] += n
}

// note adds a note once.
func (r *result) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if !slices.Contains(r.Notes, s) {
		r.Notes = append(r.Notes, s)
	}
}

// T is one try of an experiment.
type T struct {
	ctx context.Context
	e   *env
	I   int // the try's number, from 0
	rng *rand.Rand
	res *result
	mu  sync.Mutex
	// env is added to the environment of every tend the try runs.
	env []string
	// step is what the try was doing, for a deadline's message.
	step string
	took []time.Duration
}

// Step records what the try does now: a try cut short by its deadline
// says where it was.
func (t *T) Step(format string, args ...any) {
	t.mu.Lock()
	t.step = fmt.Sprintf(format, args...)
	t.mu.Unlock()
}

// withoutCgroup makes the try's daemons run without a cgroup of their
// own (TEND_CGROUP=off): the supervisor, a subreaper, then counts their
// processes itself, and tend finds them by TEND_INVOCATION_ID.
func (t *T) withoutCgroup() {
	t.env = append(t.env, "TEND_CGROUP=off")
	t.count("tries without a cgroup", 1)
}

// measure records the duration that the experiment's Timed column shows.
func (t *T) measure(d time.Duration) {
	t.mu.Lock()
	t.took = append(t.took, d)
	t.mu.Unlock()
}

// count adds to one of the experiment's counters (shown in its notes).
func (t *T) count(key string, n int) {
	t.mu.Lock()
	t.res.count(key, n)
	t.mu.Unlock()
}

// note adds a note to the experiment's row.
func (t *T) note(format string, args ...any) {
	t.mu.Lock()
	t.res.note(format, args...)
	t.mu.Unlock()
}

// sleep waits d, or less if the try is cut short.
func (t *T) sleep(d time.Duration) error {
	select {
	case <-t.ctx.Done():
		return t.ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// waitFor polls cond every 10 ms until it holds, and fails after d (or
// at the try's deadline) saying what it waited for.
func (t *T) waitFor(d time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %s for %s", d, what)
		}
		if err := t.sleep(10 * time.Millisecond); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// runAll runs the experiments, cfg.parallel at once, taking them in the
// order given (the longest first), and returns their rows in that order.
func runAll(ctx context.Context, cfg *config, xs []*experiment) []*result {
	results := make([]*result, len(xs))
	next := make(chan int, len(xs))
	for i := range xs {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range cfg.parallel {
		wg.Go(func() {
			for i := range next {
				x := xs[i]
				r := runExperiment(ctx, cfg, x, i)
				results[i] = r
				state := fmt.Sprintf("%d/%d failed", r.Failures, r.Tries)
				if r.Skipped != "" {
					state = "skipped: " + r.Skipped
				}
				fmt.Fprintf(os.Stderr, "reliability: %-22s %s (%s)\n", x.Name, state, r.Took.Round(100*time.Millisecond))
			}
		})
	}
	wg.Wait()
	return results
}

// tries is how many tries x gets in this run.
func (x *experiment) tries(cfg *config) int {
	switch {
	case cfg.tries > 0:
		return cfg.tries
	case cfg.short:
		return x.ShortTries
	}
	return x.Tries
}

func (x *experiment) deadline() time.Duration {
	if x.Deadline > 0 {
		return x.Deadline
	}
	return 30 * time.Second
}

// runExperiment runs every try of x in a fresh environment, and cleans up
// after each and at the end, whatever happened.
func runExperiment(ctx context.Context, cfg *config, x *experiment, index int) *result {
	r := &result{X: x}
	began := time.Now()
	defer func() { r.Took = time.Since(began) }()
	if why := missing(cfg, x); why != "" {
		if cfg.ci && !strings.Contains(why, "root") {
			r.Failures, r.First = 1, why+" (under CI, .ci/run installs it)"
		}
		r.Skipped = why
		return r
	}
	e, err := newEnv(cfg, x, index)
	if err != nil {
		r.Failures, r.First = 1, "setting up: "+err.Error()
		return r
	}
	defer func() {
		for _, s := range e.close() {
			r.note("%s", s)
		}
	}()
	n := x.tries(cfg)
	stop := time.Now().Add(time.Duration(n) * x.deadline())
	for i := range n {
		if ctx.Err() != nil {
			r.note("interrupted after %d of %d tries", i, n)
			break
		}
		if time.Now().After(stop) {
			r.note("its time was up after %d of %d tries", i, n)
			break
		}
		times, err := runTry(ctx, e, x, i, r)
		r.Tries++
		r.Times = append(r.Times, times...)
		if left := e.afterTry(ctx); left != "" {
			if err == nil {
				err = errors.New(left)
			} else {
				err = fmt.Errorf("%w\n\nafterwards: %s", err, left)
			}
		}
		if err != nil {
			r.Failures++
			if r.First == "" {
				r.First = fmt.Sprintf("try %d of %d: %v", i+1, n, err)
			}
		}
	}
	return r
}

// runTry runs one try with its deadline. A try that does not return soon
// after its deadline is abandoned (and counted as a failure).
func runTry(ctx context.Context, e *env, x *experiment, i int, r *result) ([]time.Duration, error) {
	tctx, cancel := context.WithTimeout(ctx, x.deadline())
	defer cancel()
	t := &T{ctx: tctx, e: e, I: i, res: r, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("panic in the campaign itself: %v", p)
			}
		}()
		done <- x.Try(t)
	}()
	var err error
	select {
	case err = <-done:
	case <-tctx.Done():
		select {
		case err = <-done:
		case <-time.After(15 * time.Second):
			err = errors.New("the try did not return")
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if tctx.Err() == context.DeadlineExceeded {
		msg := fmt.Sprintf("deadline of %s exceeded while: %s", x.deadline(), t.step)
		if err != nil {
			msg += " (" + err.Error() + ")"
		}
		err = errors.New(msg)
	}
	return t.took, err
}

// median and worst of ds.
func medianWorst(ds []time.Duration) (time.Duration, time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2, s[len(s)-1]
	}
	return s[len(s)/2], s[len(s)-1]
}
