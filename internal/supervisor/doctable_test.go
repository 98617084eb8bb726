package supervisor

import (
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// docNames are the names the package doc's table gives the actions whose
// function names are longer.
var docNames = map[string]string{
	"notRunning":    "notRun",
	"beginStop":     "stop",
	"beginRestart":  "restart",
	"beginReload":   "reload",
	"stoppedMain":   "stopMain",
	"restartedMain": "restMain",
	"stopReloading": "stopRel",
	"spawnFailed":   "spawnFail",
	"mainExited":    "mainExit",
}

// docColumn is the doc's name of an event's column: its name in camel
// case ("main-exit" is mainExit), "spawnFail" for spawn-failed.
func docColumn(ev eventKind) string {
	if ev == evSpawnFailed {
		return "spawnFail"
	}
	parts := strings.Split(ev.String(), "-")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

// actionName is the name of a cell's action, as the doc writes it.
func actionName(a action) string {
	name := runtime.FuncForPC(reflect.ValueOf(a).Pointer()).Name()
	name = name[strings.LastIndex(name, ".")+1:]
	if name == "nop" {
		return "-"
	}
	if d, ok := docNames[name]; ok {
		return d
	}
	return name
}

// TestDocTable keeps the package doc's table of states x events the
// code's: every row, every column, every cell.
func TestDocTable(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	var header []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.TrimPrefix(line, "//\t"))
		if !strings.HasPrefix(line, "//\t") || len(f) == 0 {
			continue
		}
		if f[0] == "start" {
			header = f
			continue
		}
		rows[f[0]] = f[1:]
	}
	for ev := eventKind(0); ev < nEvents; ev++ {
		if int(ev) >= len(header) || header[ev] != docColumn(ev) {
			t.Errorf("the doc's column %d is %q, the code's event %s", ev, header[min(int(ev), len(header)-1)], docColumn(ev))
		}
	}
	for st := state(0); st < nStates; st++ {
		row, ok := rows[st.String()]
		if !ok {
			t.Errorf("the doc's table has no row %s", st)
			continue
		}
		if len(row) != int(nEvents) {
			t.Errorf("the doc's row %s has %d cells, the code's %d", st, len(row), nEvents)
			continue
		}
		for ev := eventKind(0); ev < nEvents; ev++ {
			if want := actionName(table[st][ev]); row[ev] != want {
				t.Errorf("%s + %s: the doc says %s, the code does %s", st, ev, row[ev], want)
			}
		}
	}
}
