package state

import (
	"slices"
	"testing"
)

// TestCompareNames: d2 before d10 (issue 24, item 15).
func TestCompareNames(t *testing.T) {
	names := []string{"d10", "web", "d2", "d1", "shop.web2", "shop.web10", "d02", "d", "d1a", "d1b", "a99999999999999999999", "a100000000000000000000", "D1"}
	want := []string{"D1", "a99999999999999999999", "a100000000000000000000", "d", "d1", "d1a", "d1b", "d02", "d2", "d10", "shop.web2", "shop.web10", "web"}
	slices.SortFunc(names, CompareNames)
	if !slices.Equal(names, want) {
		t.Errorf("sorted: %q\nwant    %q", names, want)
	}
	for _, n := range want {
		if CompareNames(n, n) != 0 {
			t.Errorf("CompareNames(%q, %q) != 0", n, n)
		}
	}
	for i := range want {
		for j := range want {
			if got, exp := CompareNames(want[i], want[j]), cmpIndex(i, j); got != exp {
				t.Errorf("CompareNames(%q, %q) = %d, want %d", want[i], want[j], got, exp)
			}
		}
	}
}

func cmpIndex(i, j int) int {
	switch {
	case i < j:
		return -1
	case i > j:
		return 1
	}
	return 0
}

func TestListNaturalOrder(t *testing.T) {
	s := openStore(t)
	for _, n := range []string{"d10", "web", "d2", "d1"} {
		if _, err := s.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	if names, err := s.List(); err != nil || !slices.Equal(names, []string{"d1", "d2", "d10", "web"}) {
		t.Errorf("List() = %q, %v; want d1 d2 d10 web", names, err)
	}
}
