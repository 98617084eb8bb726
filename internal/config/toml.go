package config

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/state"
)

// ParseTOML parses a tend.toml; name is the path to show in errors and
// base the directory relative paths are resolved against.
//
// Every top-level table is a daemon. Its keys are command, after, and the
// options of definition.Options by their keys (Option.Key), each read as
// its kind reads from a file (Option.SetDecoded): the table is the one
// place that lists them. Unknown keys are all reported, each with the key
// it is closest to.
//
// Beyond TOML's own rules, a value that no command line, environment
// variable or path can carry (a NUL byte, which TOML's \u0000 escape can
// make) is refused at its key, as is an argument longer than the system
// accepts, and an env_file that exists is read and checked now, as the
// .env beside a Procfile is (one that does not exist is left for tend
// start: the file may be exported for another machine). A UTF-8 byte
// order mark at the start is ignored.
func ParseTOML(data []byte, name, base string) (*File, error) {
	data = bytes.TrimPrefix(data, []byte(byteOrderMark))
	if i := bareCR(data); i >= 0 {
		// TOML refuses it too, but this says what happened.
		start := bytes.LastIndexByte(data[:i], '\n') + 1
		return nil, &Error{File: name, Line: lineOf(data, i), Msg: badBytes(string(data[start : i+1]))}
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, decodeError(name, err)
	}
	keys, order := indexKeys(data)
	f := &File{Name: name}
	var unknown []error
	for _, n := range order {
		v, ok := doc[n]
		if !ok {
			continue
		}
		line := keys[n]
		t, ok := v.(map[string]any)
		if !ok {
			return nil, &Error{File: name, Line: line, Key: n, Msg: "want a table, as in [name], for each daemon, not " + definition.Describe(v)}
		}
		bad := func(key, format string, args ...any) error {
			l := keys[n+"."+key]
			if l == 0 {
				l = line
			}
			return &Error{File: name, Line: l, Key: n + "." + key, Msg: fmt.Sprintf(format, args...)}
		}
		if err := state.ValidateName(n); err != nil {
			return nil, &Error{File: name, Line: line, Key: n, Msg: strings.TrimPrefix(err.Error(), "state: ")}
		}
		d, errs, err := daemonOf(name, n, line, t, keys, bad)
		if err != nil {
			return nil, err
		}
		unknown = append(unknown, errs...)
		f.Daemons = append(f.Daemons, d)
	}
	if len(unknown) > 0 {
		return nil, errors.Join(unknown...)
	}
	if err := f.finish(base, func(key string) int { return keys[key] }); err != nil {
		return nil, err
	}
	if err := f.checkEnvFiles(keys); err != nil {
		return nil, err
	}
	return f, nil
}

// daemonOf reads the table t of the daemon n of file: the daemon, or the first
// error; unknown keys are returned apart, to be reported all at once.
func daemonOf(file, n string, line int, t map[string]any, keys map[string]int,
	bad func(key, format string, args ...any) error) (d *Daemon, unknown []error, err error) {
	d = &Daemon{Name: n, Line: line}
	names := make([]string, 0, len(t))
	for k := range t {
		names = append(names, k)
	}
	// In the order of the file, so that the first mistake is reported.
	sort.Slice(names, func(i, j int) bool {
		a, b := keys[n+"."+names[i]], keys[n+"."+names[j]]
		return a < b || a == b && names[i] < names[j]
	})
	options := map[string]*definition.Option{}
	candidates := []string{"command", "after"}
	for _, o := range definition.Options() {
		options[o.Key()] = o
		candidates = append(candidates, o.Key())
	}
	for _, k := range names {
		v := t[k]
		if anyString(k, hasNUL) || anyString(v, hasNUL) {
			return nil, nil, bad(k, "contains a NUL byte (\\u0000), which no command line, environment variable or path can carry: remove it")
		}
		switch k {
		case "command":
			switch c := v.(type) {
			case string:
				if d.Definition.Command, err = SplitCommand(c); err != nil {
					return nil, nil, bad(k, "%v", err)
				}
			default:
				if d.Definition.Command, err = stringList(c); err != nil || len(d.Definition.Command) == 0 {
					return nil, nil, bad(k, "want a string, or an array of strings with the program first")
				}
			}
		case "after":
			if err := d.parseAfter(v); err != nil {
				return nil, nil, bad(k, "%v", err)
			}
		default:
			o := options[k]
			if o == nil {
				msg := "unknown key"
				if s := definition.Closest(k, candidates); s != "" {
					msg += "; did you mean " + s + "?"
				}
				l := keys[n+"."+k]
				unknown = append(unknown, &Error{File: file, Line: l, Key: n + "." + k, Msg: msg})
				continue
			}
			if err := o.SetDecoded(&d.Definition, v); err != nil {
				return nil, nil, bad(k, "%v", err)
			}
		}
	}
	if len(unknown) == 0 && d.Definition.Command == nil {
		return nil, nil, &Error{File: file, Line: line, Key: n, Msg: errNoCommand}
	}
	return d, unknown, nil
}

func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("not an array")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, errors.New("not a string")
		}
		out = append(out, s)
	}
	return out, nil
}

// decodeError turns go-toml's errors into *Error.
func decodeError(name string, err error) error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		return &Error{File: name, Line: line, Key: strings.Join(de.Key(), "."), Msg: strings.TrimPrefix(de.Error(), "toml: ")}
	}
	return &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}

// indexKeys returns the line of every table and key of the document, by
// dotted key, and the top-level tables in document order. The document
// has already been decoded without error.
func indexKeys(data []byte) (map[string]int, []string) {
	lines := map[string]int{}
	var order []string
	seen := map[string]bool{}
	top := func(k string) {
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	record := func(prefix []string, it unstable.Iterator) []string {
		path := append([]string{}, prefix...)
		first := true
		for it.Next() {
			n := it.Node()
			path = append(path, string(n.Data))
			k := strings.Join(path, ".")
			if _, ok := lines[k]; !ok {
				lines[k] = p.Shape(n.Raw).Start.Line
			}
			if first && len(path) == 1 {
				top(path[0])
			}
			first = false
		}
		return path
	}
	var inline func(prefix []string, n *unstable.Node)
	inline = func(prefix []string, n *unstable.Node) {
		it := n.Children()
		for it.Next() {
			kv := it.Node()
			if kv.Kind != unstable.KeyValue {
				continue
			}
			path := record(prefix, kv.Key())
			if v := kv.Value(); v.Kind == unstable.InlineTable {
				inline(path, v)
			}
		}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = record(nil, e.Key())
		case unstable.KeyValue:
			path := record(table, e.Key())
			if v := e.Value(); v.Kind == unstable.InlineTable {
				inline(path, v)
			}
		}
	}
	return lines, order
}
