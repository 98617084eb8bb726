package definition

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Limit is one resource limit of the daemon's processes (--limit
// NAME=SOFT[:HARD]), as setrlimit(2) takes it.
type Limit struct {
	Name     string // nofile, nproc, core, memlock, ...
	Resource int    // RLIMIT_*
	Soft     uint64
	Hard     uint64
}

// Unlimited is RLIM_INFINITY, written "unlimited".
const Unlimited = math.MaxUint64

// Rlimit is l as setrlimit(2) takes it on this system: Unlimited, and
// any value above the system's RLIM_INFINITY, become RLIM_INFINITY
// (2^64-1 on Linux, 2^63-1 on the BSDs and macOS).
func (l Limit) Rlimit() unix.Rlimit {
	var r unix.Rlimit
	setRlim(&r.Cur, l.Soft)
	setRlim(&r.Max, l.Hard)
	return r
}

// setRlim stores v in a field of unix.Rlimit, which is a uint64 on most
// systems and an int64 on FreeBSD: one function for both, rather than a
// file per system.
func setRlim[T int64 | uint64](field *T, v uint64) {
	inf := uint64(unix.RLIM_INFINITY)
	if v > inf {
		v = inf
	}
	*field = T(v)
}

// ParseLimits parses --limit values: comma-separated NAME=SOFT[:HARD],
// each a number or "unlimited"; one value sets both.
func ParseLimits(specs []string) ([]Limit, error) {
	var out []Limit
	for _, spec := range specs {
		for _, item := range strings.Split(spec, ",") {
			name, value, ok := strings.Cut(strings.TrimSpace(item), "=")
			r, known := limitNames[name]
			if !ok || !known {
				return nil, fmt.Errorf("--limit %q: want NAME=SOFT[:HARD] with NAME one of %s", item, strings.Join(LimitNames(), ", "))
			}
			soft, hard, hasHard := strings.Cut(value, ":")
			l := Limit{Name: name, Resource: r.resource}
			var err error
			if l.Soft, err = limitValue(soft); err != nil {
				return nil, fmt.Errorf("--limit %q: %v", item, err)
			}
			l.Hard = l.Soft
			if hasHard {
				if l.Hard, err = limitValue(hard); err != nil {
					return nil, fmt.Errorf("--limit %q: %v", item, err)
				}
			}
			if l.Soft > l.Hard {
				return nil, fmt.Errorf("--limit %q: the soft limit is above the hard one", item)
			}
			out = slices.DeleteFunc(out, func(x Limit) bool { return x.Name == name })
			out = append(out, l)
		}
	}
	return out, nil
}

func limitValue(s string) (uint64, error) {
	if s == "unlimited" || s == "infinity" {
		return Unlimited, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number or unlimited", s)
	}
	return n, nil
}

// LimitNames lists the names --limit takes, sorted.
func LimitNames() []string {
	var out []string
	for n := range limitNames {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// SystemdDirective names systemd's directive for the limit (LimitNOFILE).
func (l Limit) SystemdDirective() string { return limitNames[l.Name].systemd }

// String formats l as --limit reads it: nofile=1024:4096.
func (l Limit) String() string {
	v := func(n uint64) string {
		if n == Unlimited {
			return "unlimited"
		}
		return strconv.FormatUint(n, 10)
	}
	if l.Soft == l.Hard {
		return l.Name + "=" + v(l.Soft)
	}
	return l.Name + "=" + v(l.Soft) + ":" + v(l.Hard)
}

// CheckLimits refuses limits that no start of the daemon could set here
// (see LimitsPossible): the caller about to start it says so at once.
func (d *Definition) CheckLimits() error {
	limits, err := ParseLimits(d.Limits)
	if err != nil {
		return usagef("%v", err)
	}
	return LimitsPossible(limits)
}

// CPUQuota parses --cpu-max: a percentage of one CPU ("50%", "200%" for
// two), as systemd's CPUQuota= takes it; "" means no limit (0).
func CPUQuota(s string) (percent int, err error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	if err != nil || !strings.HasSuffix(s, "%") || n <= 0 {
		return 0, fmt.Errorf("%q: want a percentage of one CPU, such as 50%% (200%% is two CPUs)", s)
	}
	return n, nil
}
