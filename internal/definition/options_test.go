package definition

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestEveryFieldHasAnOption fails when Definition gains a field that the
// option table does not describe: add a row to Options, and the flag, the
// tend.toml key, help, Args and the export follow.
func TestEveryFieldHasAnOption(t *testing.T) {
	owned := map[string]bool{}
	for _, o := range Options() {
		var d Definition
		p := reflect.ValueOf(o.field(&d)).Pointer()
		v := reflect.ValueOf(&d).Elem()
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).Addr().Pointer() == p {
				name := v.Type().Field(i).Name
				if owned[name] {
					t.Errorf("two options set Definition.%s", name)
				}
				owned[name] = true
			}
		}
	}
	v := reflect.TypeOf(Definition{})
	for i := 0; i < v.NumField(); i++ {
		switch name := v.Field(i).Name; name {
		case "Name", "Command", "BaseEnv", "Project", "Source", "EnvDigest":
		default:
			if !owned[name] {
				t.Errorf("Definition.%s has no option in Options", name)
			}
		}
	}
	seen := map[string]bool{}
	for _, o := range Options() {
		if seen[o.Flag] || o.Help == "" || o.Group == "" || (o.Kind != Bool) == (o.Arg == "") {
			t.Errorf("option %+v: duplicate, or without help, group, or the argument its kind needs", o)
		}
		seen[o.Flag] = true
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"10": 10 * time.Second, "2.5": 2500 * time.Millisecond, "500ms": 500 * time.Millisecond,
		"1m30s": 90 * time.Second, "0": 0, "1ns": 1, " 3 ": 3 * time.Second,
	} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "-1s", "ten", "10x", "1e3", "5 s"} {
		if _, err := ParseDuration(in); err == nil || !strings.Contains(err.Error(), "such as 500ms, 10s or 1m30s") {
			t.Errorf("ParseDuration(%q): %v, want an error that shows the format", in, err)
		}
	}
}

func TestParseSizeUnits(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1 << 20, "10M": 10 << 20, "10m": 10 << 20, "10MB": 10 << 20, "10MiB": 10 << 20,
		"512K": 512 << 10, "1.5G": 3 << 29, "1g": 1 << 30, "0": 0, "100b": 100,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "M", "10X", "1.5", "-1", "-2", "ten", "99999999999T"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

// TestSetErrors: each kind refuses what it cannot read, saying what it
// wants; an empty string is never a value.
func TestSetErrors(t *testing.T) {
	for _, tc := range []struct{ flag, value, mention string }{
		{"backoff", "10x", "want seconds (10, 2.5) or a number with a unit"},
		{"backoff", "-5s", "is not a duration"},
		{"log-max-size", "10X", "such as 10M, 512K or 1048576, or -1 for no limit"},
		{"log-max-size", "-2", "is not a size"},
		{"log-max-files", "-1", "want a whole number such as 5"},
		{"start-limit", "-2", "or -1 for no limit"},
		{"start-limit", "five", "is not a count"},
		{"stop-schedule", "", "empty value: give SCHEDULE, or leave the option out for the default (TERM/10/KILL/5)"},
		{"dir", "", "empty value"},
		{"env", "NOEQUALS", "want KEY=VALUE"},
		{"tty", "maybe", "want true or false"},
	} {
		var d Definition
		err := LookupOption(tc.flag).Set(&d, tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("--%s %q: %v, want an error mentioning %q", tc.flag, tc.value, err, tc.mention)
		}
	}
}

// TestArgsRoundTrip: Args gives the options that set every field again.
func TestArgsRoundTrip(t *testing.T) {
	d := &Definition{
		Name: "web", Command: []string{"./server", "--port", "80"}, Dir: "/srv", Env: []string{"A=1", "B="},
		EnvFiles: []string{"/a.env"}, ClearEnv: true, User: "u", Group: "g", Umask: "027", TTY: true,
		Restart: "always", BackoffInitial: 1500 * time.Millisecond, BackoffMax: time.Minute, BackoffReset: time.Hour,
		StartLimitBurst: -1, StartLimitInterval: 20 * time.Second, StopSignal: "INT", StopSchedule: "TERM/5/KILL/5",
		PIDFile: "/run/p", Log: "/l", LogMaxSize: 10 << 20, LogMaxFiles: 2, LogCompress: true, NoTimestamps: true,
		Ready: "notify", ReadyTimeout: time.Second, Watchdog: time.Minute, Health: "tcp:127.0.0.1:1",
		HealthInterval: time.Second, HealthThreshold: 2, Listen: []string{"tcp://127.0.0.1:1", "x=unix:///s"},
	}
	args := d.Args()
	again := &Definition{Name: "web"}
	i := 0
	for ; args[i] != "--"; i++ {
		name, value, _ := strings.Cut(strings.TrimPrefix(args[i], "--"), "=")
		o := LookupOption(name)
		if o.Kind == Bool {
			value = "true"
		}
		if err := o.Set(again, value); err != nil {
			t.Fatalf("%s: %v", args[i], err)
		}
	}
	again.Command = args[i+1:]
	if !reflect.DeepEqual(d, again) {
		t.Errorf("round trip through %q:\n got %+v\nwant %+v", args, again, d)
	}
}

// TestSetDecoded: what tend.toml gives each kind.
func TestSetDecoded(t *testing.T) {
	var d Definition
	for key, v := range map[string]any{
		"backoff": int64(10), "backoff_max": 2.5, "backoff_reset": "1m", "log_max_size": "10M",
		"log_max_files": int64(3), "env": map[string]any{"B": int64(2), "A": true}, "env_file": "x.env",
		"listen": []any{"tcp://:1"}, "tty": true,
	} {
		if err := LookupOption(key).SetDecoded(&d, v); err != nil {
			t.Fatalf("%s = %v: %v", key, v, err)
		}
	}
	if d.BackoffInitial != 10*time.Second || d.BackoffMax != 2500*time.Millisecond || d.BackoffReset != time.Minute ||
		d.LogMaxSize != 10<<20 || d.LogMaxFiles != 3 || strings.Join(d.Env, " ") != "A=true B=2" ||
		strings.Join(d.EnvFiles, " ") != "x.env" || !d.TTY || len(d.Listen) != 1 {
		t.Errorf("decoded: %+v", d)
	}
	for key, v := range map[string]any{
		"backoff": int64(-1), "log_max_files": "3", "tty": "yes", "restart": int64(1), "listen": []any{int64(1)},
	} {
		if err := LookupOption(key).SetDecoded(&d, v); err == nil || !strings.Contains(err.Error(), "want ") {
			t.Errorf("%s = %v: %v, want an error that says what it wants", key, v, err)
		}
	}
}

// FuzzUnits: ParseDuration and ParseSize never panic, refuse negatives,
// and what they accept reads back from its written form (Duration.String,
// FormatSize), as Definition.Args writes it.
func FuzzUnits(f *testing.F) {
	for _, s := range []string{"10", "2.5", "500ms", "1m30s", "10M", "1.5G", "512KiB", "-1", "", "1e3", "99999999999T", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDuration(s); err == nil {
			if d < 0 {
				t.Fatalf("ParseDuration(%q) = %v", s, d)
			}
			if again, err := ParseDuration(d.String()); err != nil || again != d {
				t.Fatalf("ParseDuration(%q) = %v, which reads back as %v, %v", s, d, again, err)
			}
		}
		if n, err := ParseSize(s); err == nil {
			if n < 0 {
				t.Fatalf("ParseSize(%q) = %d", s, n)
			}
			if again, err := ParseSize(FormatSize(n)); err != nil || again != n {
				t.Fatalf("ParseSize(%q) = %d, which reads back as %d, %v", s, n, again, err)
			}
		}
	})
}
