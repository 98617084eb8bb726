package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/state"
)

// daemonTOML is one daemon's table. Its keys are the flags of tend start
// with '_' for '-'. To support a new option of definition.Definition, add a
// field here and one line to definition below (TestEveryFieldMapped
// fails until both are done).
type daemonTOML struct {
	Command any      `toml:"command"` // string or array of strings
	After   []string `toml:"after"`

	Dir      string `toml:"dir"`
	Env      any    `toml:"env"`      // table or array of "KEY=VALUE"
	EnvFile  any    `toml:"env_file"` // string or array of strings
	ClearEnv bool   `toml:"clear_env"`
	User     string `toml:"user"`
	Group    string `toml:"group"`
	Umask    string `toml:"umask"`

	Restart            string `toml:"restart"`
	Backoff            any    `toml:"backoff"`
	BackoffMax         any    `toml:"backoff_max"`
	BackoffReset       any    `toml:"backoff_reset"`
	StartLimit         int    `toml:"start_limit"`
	StartLimitInterval any    `toml:"start_limit_interval"`
	StopSignal         string `toml:"stop_signal"`
	StopSchedule       string `toml:"stop_schedule"`

	PIDFile      string   `toml:"pidfile"`
	Instances    int      `toml:"instances"`
	Limits       []string `toml:"limits"`
	MemoryMax    string   `toml:"memory_max"`
	CPUMax       string   `toml:"cpu_max"`
	PidsMax      int      `toml:"pids_max"`
	Critical     bool     `toml:"critical"`
	ReloadSignal string   `toml:"reload_signal"`
	Log          string   `toml:"log"`
	LogMaxSize   int64    `toml:"log_max_size"`
	LogMaxFiles  int      `toml:"log_max_files"`
	LogCompress  bool     `toml:"log_compress"`
	NoTimestamps bool     `toml:"no_timestamps"`

	Ready           string   `toml:"ready"`
	ReadyTimeout    any      `toml:"ready_timeout"`
	Watchdog        any      `toml:"watchdog"`
	Health          string   `toml:"health"`
	HealthInterval  any      `toml:"health_interval"`
	HealthThreshold int      `toml:"health_threshold"`
	Listen          []string `toml:"listen"`
}

// definition maps the table onto a Definition; Command, Env, EnvFiles and
// the durations are converted by the caller.
func (t *daemonTOML) definition() definition.Definition {
	return definition.Definition{
		Dir:             t.Dir,
		ClearEnv:        t.ClearEnv,
		User:            t.User,
		Group:           t.Group,
		Umask:           t.Umask,
		Restart:         t.Restart,
		StartLimitBurst: t.StartLimit,
		StopSignal:      t.StopSignal,
		StopSchedule:    t.StopSchedule,
		PIDFile:         t.PIDFile,
		Instances:       t.Instances,
		Limits:          t.Limits,
		CPUMax:          t.CPUMax,
		PidsMax:         t.PidsMax,
		Critical:        t.Critical,
		ReloadSignal:    t.ReloadSignal,
		Log:             t.Log,
		LogMaxSize:      t.LogMaxSize,
		LogMaxFiles:     t.LogMaxFiles,
		LogCompress:     t.LogCompress,
		NoTimestamps:    t.NoTimestamps,
		Ready:           t.Ready,
		Health:          t.Health,
		HealthThreshold: t.HealthThreshold,
		Listen:          t.Listen,
	}
}

// durations converts the duration keys, strings such as "10s" or
// "1m30s" (decoded as any, so that a bare number is an error here, with
// its key, rather than nanoseconds). bad reports a key's error.
func (t *daemonTOML) durations(def *definition.Definition, bad func(key, format string, args ...any) error) error {
	for _, f := range []struct {
		key string
		v   any
		to  *time.Duration
	}{
		{"backoff", t.Backoff, &def.BackoffInitial},
		{"backoff_max", t.BackoffMax, &def.BackoffMax},
		{"backoff_reset", t.BackoffReset, &def.BackoffReset},
		{"start_limit_interval", t.StartLimitInterval, &def.StartLimitInterval},
		{"ready_timeout", t.ReadyTimeout, &def.ReadyTimeout},
		{"watchdog", t.Watchdog, &def.Watchdog},
		{"health_interval", t.HealthInterval, &def.HealthInterval},
	} {
		if f.v == nil {
			continue
		}
		s, ok := f.v.(string)
		d, err := time.ParseDuration(s)
		if !ok || err != nil {
			return bad(f.key, "want a duration string such as \"10s\" or \"1m30s\", not %s", tomlText(f.v))
		}
		*f.to = d
	}
	if t.MemoryMax != "" {
		n, err := definition.ParseSize(t.MemoryMax)
		if err != nil {
			return bad("memory_max", "%v", err)
		}
		def.MemoryMax = n
	}
	return nil
}

// tomlText renders a decoded value for an error message.
func tomlText(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// ParseTOML parses a tend.toml; name is the path to show in errors and
// base the directory relative paths are resolved against.
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
	var tables map[string]daemonTOML
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&tables); err != nil {
		return nil, decodeError(name, err)
	}
	keys, order := indexKeys(data)
	f := &File{Name: name}
	for _, n := range order {
		t, ok := tables[n]
		if !ok {
			continue
		}
		line := keys[n]
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
		if err := t.checkStrings(bad); err != nil {
			return nil, err
		}
		d := &Daemon{Name: n, After: t.After, Definition: t.definition(), Line: line}
		if err := t.durations(&d.Definition, bad); err != nil {
			return nil, err
		}
		var err error
		switch c := t.Command.(type) {
		case nil:
			return nil, &Error{File: name, Line: line, Key: n, Msg: errNoCommand}
		case string:
			if d.Definition.Command, err = SplitCommand(c); err != nil {
				return nil, bad("command", "%v", err)
			}
		default:
			if d.Definition.Command, err = stringList(c); err != nil || len(d.Definition.Command) == 0 {
				return nil, bad("command", "want a string, or an array of strings with the program first")
			}
		}
		if d.Definition.Env, err = envList(t.Env); err != nil {
			return nil, bad("env", "%v", err)
		}
		switch e := t.EnvFile.(type) {
		case nil:
		case string:
			d.Definition.EnvFiles = []string{e}
		default:
			if d.Definition.EnvFiles, err = stringList(e); err != nil {
				return nil, bad("env_file", "want a path, or an array of paths")
			}
		}
		f.Daemons = append(f.Daemons, d)
	}
	if err := f.finish(base, func(key string) int { return keys[key] }); err != nil {
		return nil, err
	}
	if err := f.checkEnvFiles(keys); err != nil {
		return nil, err
	}
	return f, nil
}

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

// envList converts env, a table of KEY = value (string, number or
// boolean) or an array of "KEY=VALUE", into KEY=VALUE strings, a table's
// keys sorted.
func envList(v any) ([]string, error) {
	switch e := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return nil, fmt.Errorf("%q is not a variable name", k)
			}
			var s string
			switch x := e[k].(type) {
			case string:
				s = x
			case int64:
				s = strconv.FormatInt(x, 10)
			case float64:
				s = strconv.FormatFloat(x, 'g', -1, 64)
			case bool:
				s = strconv.FormatBool(x)
			default:
				return nil, fmt.Errorf("%s: want a string, a number or a boolean", k)
			}
			out = append(out, k+"="+s)
		}
		return out, nil
	case []any:
		out, err := stringList(e)
		if err != nil {
			return nil, errors.New(`want a table, as in { PORT = "8080" }, or an array of "KEY=VALUE" strings`)
		}
		for _, kv := range out {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return nil, fmt.Errorf("%q: want KEY=VALUE", kv)
			}
		}
		return out, nil
	}
	return nil, errors.New(`want a table, as in { PORT = "8080" }, or an array of "KEY=VALUE" strings`)
}

var mismatch = regexp.MustCompile(`^cannot decode TOML (\w+) into (?:struct field \S+ of type )?(.+)$`)

// decodeError turns go-toml's errors into *Error, one per problem.
func decodeError(name string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var errs []error
		for i := range strict.Errors {
			e := &strict.Errors[i]
			line, _ := e.Position()
			errs = append(errs, &Error{File: name, Line: line, Key: strings.Join(e.Key(), "."), Msg: "unknown key"})
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		key := strings.Join(de.Key(), ".")
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if m := mismatch.FindStringSubmatch(msg); m != nil {
			msg = "want " + goType(m[2], len(de.Key())) + ", not " + article(m[1])
		}
		return &Error{File: name, Line: line, Key: key, Msg: msg}
	}
	return &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}

// goType names, for a user, what a Go type of daemonTOML is written as.
func goType(t string, depth int) string {
	switch {
	case depth <= 1 && strings.HasSuffix(t, "daemonTOML"):
		return "a table, as in [name], for each daemon"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"):
		return "an integer"
	case t == "[]string":
		return "an array of strings"
	}
	return t
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
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
