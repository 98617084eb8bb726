package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tendhq/tend/internal/definition"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's table of options from definition.Options")

const (
	optionsBegin = "<!-- options:begin -->\n"
	optionsEnd   = "<!-- options:end -->"
)

// optionsTable renders the README's table of options from the option
// table itself.
func optionsTable() string {
	var b strings.Builder
	b.WriteString("| option | `tend.toml` | default | what it does | systemd |\n|---|---|---|---|---|\n")
	for _, g := range definition.Groups() {
		fmt.Fprintf(&b, "| **%s** | | | | |\n", g)
		for _, o := range definition.Options() {
			if o.Group != g {
				continue
			}
			flagText := "`--" + o.Flag
			if o.Arg != "" {
				flagText += " " + o.Arg
			}
			flagText += "`"
			key := "`" + o.Key() + "`"
			switch o.Kind {
			case definition.Bool:
				key += " (true/false)"
			case definition.Duration:
				key += ` ("1m30s", or seconds)`
			case definition.Size:
				key += ` ("10M", or bytes)`
			case definition.Int:
				key += " (integer)"
			case definition.List:
				key += " (string or array)"
			case definition.Env:
				key += " (table or array)"
			}
			sd := o.Systemd
			if sd == "" {
				sd = "(a comment)"
			} else if strings.HasSuffix(sd, "=") || strings.Contains(sd, "=,") {
				sd = "`" + strings.ReplaceAll(sd, ", ", "`, `") + "`"
			}
			def := o.Default
			if def == "" {
				def = "-"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", flagText, key, def, strings.ReplaceAll(o.Help, "|", `\|`), sd)
		}
	}
	return b.String()
}

// TestREADMEOptions keeps the README's table of options true: it is the
// option table, rendered (go test ./cmd/tend -run TestREADMEOptions
// -update-readme rewrites it).
func TestREADMEOptions(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, optionsBegin), strings.Index(s, optionsEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q", optionsBegin, optionsEnd)
	}
	want := optionsTable()
	if got := s[i+len(optionsBegin) : j]; got != want {
		if *updateREADME {
			if err := os.WriteFile("../../README.md", []byte(s[:i+len(optionsBegin)]+want+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's table of options is not definition.Options; run: go test ./cmd/tend -run TestREADMEOptions -update-readme")
	}
	// Every command is in the command reference.
	for _, c := range commands() {
		if !strings.Contains(s, "`tend "+c.name) {
			t.Errorf("README.md's command reference lacks tend %s", c.name)
		}
	}
}
