package definition

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a duration as tend's options take it: a number of
// seconds ("10", "2.5") or a Go duration with units ("500ms", "1m30s").
// Negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	d, err := parseTimeout(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: want seconds (10, 2.5) or a number with a unit, such as 500ms, 10s or 1m30s", s)
	}
	return d, nil
}

// sizeUnits are the units ParseSize accepts, lower case, in bytes: powers
// of 1024, as logrotate and most tools read "10M".
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"tb", 1 << 40},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// ParseSize reads a size in bytes: "1048576", or a number with a unit,
// "512K", "10M", "1.5G" (K, M, G and T are powers of 1024; KB, KiB and
// the like mean the same; case does not matter). FormatSize writes what
// it reads back.
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	if t == "" || !isDecimal(t) {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	if mult == 1 {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a size", s)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f*float64(mult) >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return int64(math.Round(f * float64(mult))), nil
}
