package config

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/state"
)

// shellQuote quotes s for sh (and SplitCommand) in single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// FuzzSplitCommand checks that SplitCommand never panics, that what it
// returns can be run (a program first, no NUL byte), that a shell command
// is run as /bin/sh -c with the string unchanged, and that words run
// directly, quoted again, split to the same words.
func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{
		"sleep 10", `grep 'a|b' "c d" e\ f`, `echo "say \"hi\"" ''`, "a | b", `echo $HOME`,
		"PORT=1 server", "exec server", "run # note", `a\`, `a 'b`, "a\x00b", "a\nb", "'it'\\''s'", "~/x", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitCommand(s)
		if err != nil {
			return
		}
		if len(words) == 0 {
			t.Fatalf("SplitCommand(%q) = no words and no error", s)
		}
		if strings.IndexByte(s, 0) >= 0 {
			t.Fatalf("SplitCommand(%q) accepted a NUL byte: %q", s, words)
		}
		if len(words) == 3 && words[0] == Shell && words[1] == "-c" && words[2] == s {
			return // run by the shell, as written
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = shellQuote(w)
		}
		again, err := SplitCommand(strings.Join(quoted, " "))
		if err != nil || !slices.Equal(again, words) {
			t.Fatalf("SplitCommand(%q) = %q; quoted again it splits to %q, %v", s, words, again, err)
		}
	})
}

// checkErr fails unless every error in err's tree is a *Error about file.
func checkErr(t *testing.T, err error, file string) {
	t.Helper()
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			checkErr(t, e, file)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.File != file || e.Msg == "" {
		t.Fatalf("error %v (%T) is not an *Error about %s", err, err, file)
	}
}

// checkStringsCarriable fails if a string of def holds a NUL byte.
func checkStringsCarriable(t *testing.T, def *definition.Definition) {
	t.Helper()
	v := reflect.ValueOf(def).Elem()
	for i := 0; i < v.NumField(); i++ {
		fv := v.Field(i)
		var ss []string
		switch fv.Kind() {
		case reflect.String:
			ss = []string{fv.String()}
		case reflect.Slice:
			if fv.Type().Elem().Kind() == reflect.String {
				ss = fv.Interface().([]string)
			}
		}
		for _, s := range ss {
			if strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("Definition.%s %q holds a NUL byte", v.Type().Field(i).Name, s)
			}
		}
	}
}

// FuzzParseProcfile checks that ParseProcfile never panics, that errors
// are *Error, that what it accepts can be run (valid names, commands of
// UTF-8 without NUL), and that the daemons, written back as a Procfile
// with every word quoted, parse to the same names and commands.
func FuzzParseProcfile(f *testing.F) {
	for _, s := range []string{
		"web: ./server -p $PORT\nworker: worker --queue 'a b'\r\n",
		"# comment\n\nweb: a\nweb: b\n", "web a\n", "web:\n", "\uFEFFweb: x\r\n",
		"web: a\x00b\n", "web: a\rworker: b\r", "web: caf\xe9\n", "a: b: c\n", "w@x+y: sleep 1\n",
	} {
		f.Add(s)
	}
	base := f.TempDir() // no .env in it
	f.Fuzz(func(t *testing.T, in string) {
		file, err := ParseProcfile([]byte(in), "Procfile", base)
		if err != nil {
			checkErr(t, err, "Procfile")
			return
		}
		var b strings.Builder
		for _, d := range file.Daemons {
			if err := state.ValidateName(d.Name); err != nil {
				t.Fatalf("accepted daemon name %q: %v", d.Name, err)
			}
			def := &d.Definition
			if len(def.Command) == 0 || def.Dir != base || len(def.EnvFiles) != 0 {
				t.Fatalf("%s: definition %+v", d.Name, def)
			}
			checkStringsCarriable(t, def)
			b.WriteString(d.Name + ":")
			for _, w := range def.Command {
				if !utf8.ValidString(w) {
					t.Fatalf("%s: command word %q is not UTF-8", d.Name, w)
				}
				b.WriteString(" " + shellQuote(w))
			}
			b.WriteString("\n")
		}
		again, err := ParseProcfile([]byte(b.String()), "Procfile", base)
		if err != nil {
			t.Fatalf("%q parsed; written back as %q it fails: %v", in, b.String(), err)
		}
		if len(again.Daemons) != len(file.Daemons) {
			t.Fatalf("%d daemons, %d after a round trip", len(file.Daemons), len(again.Daemons))
		}
		for i, d := range file.Daemons {
			if a := again.Daemons[i]; a.Name != d.Name || !slices.Equal(a.Definition.Command, d.Definition.Command) {
				t.Fatalf("%s %q came back as %s %q", d.Name, d.Definition.Command, a.Name, a.Definition.Command)
			}
		}
	})
}

// toTOML writes daemons back as a tend.toml, every option of the table
// (definition.Options) that is set, commands as arrays.
func toTOML(t *testing.T, file *File) []byte {
	t.Helper()
	doc := map[string]any{}
	for _, d := range file.Daemons {
		def := d.Definition
		m := map[string]any{"command": def.Command}
		if len(d.After) > 0 {
			m["after"] = d.After
		}
		if d.conditions != nil {
			m["after"] = d.conditions
		}
		for _, o := range definition.Options() {
			vs := o.Values(&def)
			if len(vs) == 0 {
				continue
			}
			switch o.Kind {
			case definition.Bool:
				m[o.Key()] = true
			case definition.Int:
				n, err := strconv.ParseInt(vs[0], 10, 64)
				if err != nil {
					t.Fatalf("%s: %v", o.Flag, err)
				}
				m[o.Key()] = n
			case definition.List, definition.Env:
				m[o.Key()] = vs
			default:
				m[o.Key()] = vs[0]
			}
		}
		doc[d.Name] = m
	}
	b, err := toml.Marshal(doc)
	if err != nil {
		t.Fatalf("marshal %v: %v", doc, err)
	}
	return b
}

// normal returns d with empty slices as nil, for comparison.
func normal(d Daemon) Daemon {
	v := reflect.ValueOf(&d.Definition).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Slice && f.Len() == 0 {
			f.SetZero()
		}
	}
	if len(d.After) == 0 {
		d.After = nil
	}
	d.Line = 0
	return d
}

// FuzzParseTOML checks that ParseTOML never panics, that every error is
// an *Error (several for unknown keys), that what it accepts can be run
// (valid names, a command, no NUL byte anywhere, a dependency order),
// and that the daemons, written back as TOML, parse to the same
// definitions.
func FuzzParseTOML(f *testing.F) {
	for _, s := range []string{
		every,
		"[web]\ncommand = \"x\"\nrestrat = \"always\"\n",
		"[web]\ncommand = \"x\"\nbackoff = 5\n",
		"[web]\ncommand = \"x\"\nbackoff = 2.5\nlog_max_size = \"10M\"\nstop_schedule = \"\"\n",
		"[web]\ncommand = 'a \"b'\n",
		"[a]\ncommand = \"x\"\nafter = [\"b\"]\n[b]\ncommand = \"x\"\nafter = [\"a\"]\n",
		"[web]\ncommand = \"x\\u0000\"\n",
		"[web]\rcommand = \"x\"\r",
		"\uFEFF[web]\r\ncommand = [\"./a\", \"b c\"]\r\nenv = { B = 1, A = true }\r\n",
		"[\"w@x\"]\ncommand = \"sleep 1 | cat\"\nenv = [\"A=1\", \"A=2\"]\nready = \"notify\"\n",
	} {
		f.Add(s)
	}
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, in string) {
		file, err := ParseTOML([]byte(in), "tend.toml", base)
		if err != nil {
			checkErr(t, err, "tend.toml")
			return
		}
		for _, d := range file.Daemons {
			if err := state.ValidateName(d.Name); err != nil {
				t.Fatalf("accepted daemon name %q: %v", d.Name, err)
			}
			if len(d.Definition.Command) == 0 || d.Definition.Command[0] == "" {
				t.Fatalf("%s: no command", d.Name)
			}
			checkStringsCarriable(t, &d.Definition)
		}
		if _, err := file.Order(nil); err != nil {
			t.Fatalf("accepted a file without an order: %v", err)
		}
		out := toTOML(t, file)
		again, err := ParseTOML(out, "tend.toml", base)
		if err != nil {
			t.Fatalf("%q parsed; written back as\n%s\nit fails: %v", in, out, err)
		}
		if len(again.Daemons) != len(file.Daemons) {
			t.Fatalf("%d daemons, %d after a round trip", len(file.Daemons), len(again.Daemons))
		}
		for _, d := range file.Daemons {
			a := again.Daemon(d.Name)
			if a == nil || !reflect.DeepEqual(normal(*a), normal(*d)) {
				t.Fatalf("%s came back different:\n%+v\n%+v", d.Name, normal(*d), a)
			}
		}
	})
}
