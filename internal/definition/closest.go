package definition

import "strings"

// Closest returns the candidate closest to word, if one is close enough
// to be what was meant, else "": the one candidate that word begins and
// that is at most two letters longer ("backof": backoff, "stat": status),
// or else the one candidate nearest to word within the edits its length
// allows, leading dashes aside: none for one or two letters ("ps" is not
// "ls"), one for three to five ("strat": start, "--jsn": --json), two
// from six ("--restrat": --restart). A candidate farther away is another
// word, not a slip of the fingers ("--watch" is not --watchdog), and two
// as near as each other are no answer either.
func Closest(word string, candidates []string) string {
	core := len(strings.TrimLeft(word, "-"))
	var prefixed []string
	for _, c := range candidates {
		if core >= 3 && c != word && strings.HasPrefix(c, word) && len(c)-len(word) <= 2 {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	allowed := 0
	switch {
	case core >= 6:
		allowed = 2
	case core >= 3:
		allowed = 1
	}
	best, bestD, tie := "", allowed+1, false
	for _, c := range candidates {
		switch d := editDistance(word, c); {
		case d < bestD:
			best, bestD, tie = c, d, false
		case d == bestD:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (with adjacent
// transpositions) of a and b.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
