package state

import (
	"cmp"
	"strings"
)

// CompareNames orders daemon names as a person counts: runs of digits by
// their value, so that d2 comes before d10 (ls -v, sort -V), and the rest
// byte by byte. It returns -1, 0 or +1, as strings.Compare does; names
// that differ only in leading zeros (d2, d02) are ordered by their bytes.
func CompareNames(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if !isDigit(a[i]) || !isDigit(b[j]) {
			if a[i] != b[j] {
				return cmp.Compare(a[i], b[j])
			}
			i, j = i+1, j+1
			continue
		}
		ea, eb := digitsEnd(a, i), digitsEnd(b, j)
		x, y := strings.TrimLeft(a[i:ea], "0"), strings.TrimLeft(b[j:eb], "0")
		if c := cmp.Or(cmp.Compare(len(x), len(y)), strings.Compare(x, y)); c != 0 {
			return c
		}
		i, j = ea, eb
	}
	return cmp.Or(cmp.Compare(len(a)-i, len(b)-j), strings.Compare(a, b))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digitsEnd returns where the run of digits that starts at i in s ends.
func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}
