package config

import (
	"fmt"
	"strings"
)

// Order returns the daemons called names and, transitively, those they
// come after, every daemon after its dependencies, in file order where
// the graph leaves a choice. With no names it returns every daemon. An
// unknown name or dependency, or a cycle, is an error (the cycle is
// named: a -> b -> a).
func (f *File) Order(names []string) ([]*Daemon, error) {
	if len(names) == 0 {
		for _, d := range f.Daemons {
			names = append(names, d.Name)
		}
	}
	const (
		unvisited = iota
		visiting
		done
	)
	mark := map[string]int{}
	var out []*Daemon
	var path []string
	var visit func(d *Daemon) error
	visit = func(d *Daemon) error {
		switch mark[d.Name] {
		case done:
			return nil
		case visiting:
			i := 0
			for path[i] != d.Name {
				i++
			}
			cycle := append(append([]string{}, path[i:]...), d.Name)
			return &Error{File: f.Name, Line: d.Line, Key: d.Name + ".after",
				Msg: fmt.Sprintf("%v: %s", errCycle, strings.Join(cycle, " -> "))}
		}
		mark[d.Name] = visiting
		path = append(path, d.Name)
		for _, dep := range d.After {
			dd := f.Daemon(dep)
			if dd == nil {
				return &Error{File: f.Name, Line: d.Line, Key: d.Name + ".after", Msg: fmt.Sprintf("unknown daemon %q", dep)}
			}
			if err := visit(dd); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		mark[d.Name] = done
		out = append(out, d)
		return nil
	}
	// Check the whole graph first, so that a cycle is refused whatever
	// is asked for.
	for _, d := range f.Daemons {
		if err := visit(d); err != nil {
			return nil, err
		}
	}
	want := map[string]bool{}
	var add func(name string)
	add = func(name string) {
		if want[name] {
			return
		}
		want[name] = true
		for _, dep := range f.Daemon(name).After {
			add(dep)
		}
	}
	for _, n := range names {
		if f.Daemon(n) == nil {
			return nil, fmt.Errorf("%s: no daemon %q (it lists: %s)", f.Name, n, f.names())
		}
		add(n)
	}
	sel := out[:0:0]
	for _, d := range out {
		if want[d.Name] {
			sel = append(sel, d)
		}
	}
	return sel, nil
}

// Dependents returns the daemons that come after name, directly or not.
func (f *File) Dependents(name string) []string {
	var out []string
	seen := map[string]bool{name: true}
	queue := []string{name}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range f.Daemons {
			for _, dep := range d.After {
				if dep == n && !seen[d.Name] {
					seen[d.Name] = true
					out = append(out, d.Name)
					queue = append(queue, d.Name)
				}
			}
		}
	}
	return out
}

// names lists the file's daemons, for an error.
func (f *File) names() string {
	var out []string
	for _, d := range f.Daemons {
		out = append(out, d.Name)
	}
	return strings.Join(out, ", ")
}
