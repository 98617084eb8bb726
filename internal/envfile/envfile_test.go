package envfile

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"blank and comments", "\n  \n# c\n\t# c\n", nil},
		{"simple", "FOO=bar\nBAZ=1", []string{"FOO=bar", "BAZ=1"}},
		{"crlf", "FOO=bar\r\nBAZ=1\r\n", []string{"FOO=bar", "BAZ=1"}},
		{"bom", "\uFEFFFOO=bar", []string{"FOO=bar"}},
		{"export", "export FOO=bar\nexport\tX=1", []string{"FOO=bar", "X=1"}},
		{"key named export", "export=1\nexported=2", []string{"export=1", "exported=2"}},
		{"spaces around", "  FOO  =  bar baz  ", []string{"FOO=bar baz"}},
		{"empty value", "FOO=\nBAR=  \nBAZ= # note", []string{"FOO=", "BAR=", "BAZ="}},
		{"inline comment", "FOO=a #note\nBAR=a\t# note", []string{"FOO=a", "BAR=a"}},
		{"hash without blank", "FOO=a#b\nBAR=#x\nURL=http://h/#frag", []string{"FOO=a#b", "BAR=#x", "URL=http://h/#frag"}},
		{"unquoted literal", `FOO=a'b"c\n$HOME`, []string{`FOO=a'b"c\n$HOME`}},
		{"equals in value", "FOO==x=y", []string{"FOO==x=y"}},
		{"single", `FOO='a #b \n $X "q"'`, []string{`FOO=a #b \n $X "q"`}},
		{"single then comment", `FOO='a' # c`, []string{"FOO=a"}},
		{"double", `FOO="a\nb\tc \"q\" \\ \$X #x"`, []string{"FOO=a\nb\tc \"q\" \\ $X #x"}},
		{"double empty", `FOO=""`, []string{"FOO="}},
		{"double keeps spaces", `FOO="  x  "  # c`, []string{"FOO=  x  "}},
		{"duplicates kept", "A=1\nA=2", []string{"A=1", "A=2"}},
		{"underscore and digits", "_A1=x\na_b=y", []string{"_A1=x", "a_b=y"}},
		{"utf8 value", "GREETING=héllo wörld", []string{"GREETING=héllo wörld"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in), ".env")
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Parse(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"A=1\n\nFOO", `envfile: .env:3: missing '=' after "FOO"`},
		{"FOO BAR=1", `envfile: .env:1: invalid name "FOO BAR"`},
		{"export FOO", `envfile: .env:1: missing '=' after "FOO"`},
		{"1A=x", `envfile: .env:1: invalid name "1A"`},
		{"A-B=x", `invalid name "A-B"`},
		{"=x", `invalid name ""`},
		{"FOO='abc", `.env:1: FOO: single-quoted value is not closed`},
		{`FOO="abc`, `FOO: double-quoted value is not closed`},
		{`FOO="abc\"`, `double-quoted value is not closed`},
		{`FOO="abc\`, `double-quoted value is not closed`},
		{`FOO="a\x"`, `unknown escape "\x" in double quotes`},
		{`FOO="a"b`, `unexpected "b" after the closing quote`},
		{`FOO='a' 'b'`, `unexpected "'b'" after the closing quote`},
		{"FOO=a\x00b", `.env:1: line contains a NUL byte (column 6)`},
		{"A=1\rB=2\r", `.env:1: line contains a carriage return (column 4) that does not end it: save the file with LF`},
		{"A='x\ry'\n", `.env:1: line contains a carriage return (column 5)`},
		{"A=1\n" + strings.Repeat("x", MaxLine+1), `.env:2: line is longer than 65536 bytes`},
		{strings.Repeat("A=1234567\n", MaxSize/10+1), `envfile: .env: file is larger than 1048576 bytes`},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.in), ".env")
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%.40q) = %v; want *Error containing %q", tt.in, err, tt.want)
		}
	}
	// Exactly at the limits is fine.
	line := "A=" + strings.Repeat("x", MaxLine-2)
	if got, err := Parse(strings.NewReader(line+"\r\n"), "x"); err != nil || len(got) != 1 {
		t.Errorf("a %d-byte line: %v", MaxLine, err)
	}
	full := strings.Repeat("#", MaxSize-1) + "\n"
	if _, err := Parse(strings.NewReader(full), "x"); err == nil || !strings.Contains(err.Error(), "longer") {
		t.Errorf("1 MiB single comment line: %v; want line too long", err)
	}
	full = strings.Repeat(strings.Repeat("#", 1023)+"\n", MaxSize/1024)
	if _, err := Parse(strings.NewReader(full), "x"); err != nil {
		t.Errorf("exactly %d bytes: %v", MaxSize, err)
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Parse(iotest.ErrReader(boom), "pipe")
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "envfile: read pipe") {
		t.Errorf("Parse(failing reader) = %v", err)
	}
}

func TestParseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte("export A=1\nB='two words'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ParseFile(path)
	if want := []string{"A=1", "B=two words"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseFile = %q, %v; want %q", got, err, want)
	}
	if err := os.WriteFile(path, []byte("A=1\nB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFile(path); err == nil || err.Error() != "envfile: "+path+`:2: missing '=' after "B"` {
		t.Errorf("ParseFile(bad) = %v", err)
	}
	if _, err := ParseFile(path + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseFile(missing) = %v; want ErrNotExist", err)
	}
}

var keyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// render writes env back as an env file: single quotes where the value
// allows, else double quotes with escapes.
func render(env []string) string {
	var b strings.Builder
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.ContainsAny(v, "'\n") {
			b.WriteString(k + "='" + v + "'\n")
			continue
		}
		v = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "\n", `\n`).Replace(v)
		b.WriteString("export " + k + `="` + v + "\" # rendered\n")
	}
	return b.String()
}

// FuzzParse checks that Parse never panics, that every error is an
// *Error, that every assignment has a valid name and a value an
// environment can carry (no NUL, no CR), and that the assignments,
// written back with quotes, parse to the same list.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"FOO=bar", "export A='x' # c", `B="a\n\"b\"" `, "C=a #b\nD", "\uFEFFE=1\r\n", "=", "'", `F="\`,
		"G=a\rb", "H=\x00", `I="it's $x"`, "J='\\'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		env, err := Parse(strings.NewReader(in), "fuzz")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		for _, kv := range env {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || !keyRE.MatchString(k) || strings.ContainsAny(v, "\x00\r") {
				t.Fatalf("Parse(%q) returned bad entry %q", in, kv)
			}
		}
		out := render(env)
		if len(out) > MaxLine {
			return // escapes may have made a line too long to read back
		}
		again, err := Parse(strings.NewReader(out), "rendered")
		if err != nil || !slices.Equal(again, env) {
			t.Fatalf("Parse(%q) = %q; written back as %q it parses to %q, %v", in, env, out, again, err)
		}
	})
}
