package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tendhq/tend/internal/definition"
)

// tend parses its own command lines (see the README, "Dependencies", for
// why not cobra): GNU style, options anywhere before "--" and before the
// command of start and run; --name=value or --name value; short options
// with their value attached (-n2) or not (-n 2), and grouped (-fn2).

// option is one option of a tend command.
type option struct {
	long  string // without dashes
	short byte   // 0 if none
	arg   string // the value's name in help; "" for a switch
	help  string
	// set receives the value; a switch gets "true" (or what followed
	// --name=).
	set func(string) error
	// hidden options are old names that keep working but are not listed.
	hidden bool
	// group is the help section (definition.Groups); "" for the command's own.
	group string
}

func (o *option) isSwitch() bool { return o.arg == "" }

// flagSet is the options of one command and how its arguments read.
type flagSet struct {
	cmd  string
	opts []*option
	// commandAt is the number of arguments after which the rest of the
	// line is a command to run, options included (start: 1, the name;
	// run: 0); -1 for commands that run nothing.
	commandAt int
}

func newFlagSet(cmd string) *flagSet { return &flagSet{cmd: cmd, commandAt: -1} }

// add declares an option that takes a value.
func (fs *flagSet) add(long string, short byte, arg, help string, set func(string) error) *option {
	o := &option{long: long, short: short, arg: arg, help: help, set: set}
	fs.opts = append(fs.opts, o)
	return o
}

// str declares a string option.
func (fs *flagSet) str(p *string, long string, short byte, arg, help string) *option {
	return fs.add(long, short, arg, help, func(v string) error { *p = v; return nil })
}

// boolean declares a switch.
func (fs *flagSet) boolean(p *bool, long string, short byte, help string) *option {
	o := fs.add(long, short, "", help, func(v string) error {
		switch v {
		case "true", "1", "yes":
			*p = true
		case "false", "0", "no":
			*p = false
		default:
			return fmt.Errorf("%q: want true or false", v)
		}
		return nil
	})
	return o
}

// parsed is a command line once its options are applied.
type parsed struct {
	args    []string // the arguments that are not options
	command []string // for start and run: the command to run
}

// errHelp is returned by parse for -h or --help: the caller prints the
// command's help and exits 0.
var errHelp = errors.New("help requested")

// usageErr is a mistake in the command line: exit status 2, and a hint
// to the command's help.
func usageErr(cmd, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if cmd != "" {
		msg = cmd + ": " + msg + " (see: tend help " + cmd + ")"
	}
	return fmt.Errorf("%w: %s", definition.ErrUsage, msg)
}

func (fs *flagSet) lookup(long string) *option {
	for _, o := range fs.opts {
		if o.long == long {
			return o
		}
	}
	return nil
}

func (fs *flagSet) lookupShort(c byte) *option {
	for _, o := range fs.opts {
		if o.short == c && c != 0 {
			return o
		}
	}
	return nil
}

// parse applies the options of argv and returns the rest.
func (fs *flagSet) parse(argv []string) (parsed, error) {
	var p parsed
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "--":
			if fs.commandAt >= 0 {
				p.command = argv[i+1:]
			} else {
				p.args = append(p.args, argv[i+1:]...)
			}
			return p, nil
		case len(a) < 2 || a[0] != '-':
			if fs.commandAt >= 0 && len(p.args) == fs.commandAt {
				p.command = argv[i:]
				return p, nil
			}
			p.args = append(p.args, a)
		case a == "-h" || a == "--help" || a == "-help":
			return p, errHelp
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a[2:], "=")
			o := fs.lookup(name)
			if o == nil {
				return p, fs.unknown("--" + name)
			}
			if o.isSwitch() {
				if !hasValue {
					value = "true"
				}
			} else if !hasValue {
				if i+1 == len(argv) {
					return p, usageErr(fs.cmd, "--%s needs a value: --%s %s", name, name, o.arg)
				}
				i++
				value = argv[i]
			}
			if err := o.set(value); err != nil {
				return p, usageErr(fs.cmd, "--%s: %v", name, err)
			}
		default: // -x, -xVALUE, -xy (grouped switches)
			for j := 1; j < len(a); j++ {
				o := fs.lookupShort(a[j])
				if o == nil {
					if j == 1 && fs.lookup(a[1:]) != nil {
						return p, usageErr(fs.cmd, "unknown option %s; did you mean --%s?", a, a[1:])
					}
					return p, fs.unknown("-" + a[j:j+1])
				}
				if o.isSwitch() {
					if err := o.set("true"); err != nil {
						return p, usageErr(fs.cmd, "-%c: %v", a[j], err)
					}
					continue
				}
				value := strings.TrimPrefix(a[j+1:], "=")
				if j+1 == len(a) {
					if i+1 == len(argv) {
						return p, usageErr(fs.cmd, "-%c needs a value: -%c %s", a[j], a[j], o.arg)
					}
					i++
					value = argv[i]
				}
				if err := o.set(value); err != nil {
					return p, usageErr(fs.cmd, "-%c: %v", a[j], err)
				}
				break
			}
		}
	}
	return p, nil
}

// unknown is the error for an option fs does not have, with the closest
// one it has.
func (fs *flagSet) unknown(opt string) error {
	var names []string
	for _, o := range fs.opts {
		names = append(names, "--"+o.long)
		if o.short != 0 {
			names = append(names, "-"+string(o.short))
		}
	}
	if s := suggest(opt, names); s != "" {
		return usageErr(fs.cmd, "unknown option %s; did you mean %s?", opt, s)
	}
	return usageErr(fs.cmd, "unknown option %s", opt)
}

// suggest returns the candidate closest to word, if one is close enough
// to be what was meant (see definition.Closest), else "".
func suggest(word string, candidates []string) string { return definition.Closest(word, candidates) }

// otherToolCommand is tend's command for a command of pm2 or
// supervisorctl that tend calls otherwise, or "": suggested however far
// it is from tend's word (pm2 ps is tend list).
func otherToolCommand(word string) string {
	switch word {
	case "ps":
		return "list"
	case "show", "info", "describe":
		return "status"
	case "tail":
		return "logs"
	}
	return ""
}

// help renders the options for `tend help`: the command's own first, then
// the definition's by section.
func (fs *flagSet) help() string {
	var b strings.Builder
	sections := append([]string{""}, definition.Groups()...)
	for _, sec := range sections {
		first := true
		for _, o := range fs.opts {
			if o.hidden || o.group != sec {
				continue
			}
			if first {
				title := "Options"
				if sec != "" {
					title = sec
				}
				fmt.Fprintf(&b, "\n%s:\n", title)
				first = false
			}
			name := "    --" + o.long
			if o.short != 0 {
				name = "-" + string(o.short) + ", --" + o.long
			}
			if o.arg != "" {
				name += " " + o.arg
			}
			lines := wrap(o.help, 78-26)
			if len(name) > 22 {
				fmt.Fprintf(&b, "  %s\n", name)
				name = ""
			}
			for i, l := range lines {
				if i > 0 {
					name = ""
				}
				fmt.Fprintf(&b, "  %-22s  %s\n", name, l)
			}
		}
	}
	return b.String()
}

// wrap splits text into lines of at most width characters, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// words lists the option names, for completion.
func (fs *flagSet) words() []string {
	var out []string
	for _, o := range fs.opts {
		if !o.hidden {
			out = append(out, "--"+o.long)
		}
	}
	return out
}
