package definition

import "testing"

// TestReadySettled: the default mode has a name, which means the default
// (issue 24, item 15); exec is not it.
func TestReadySettled(t *testing.T) {
	def, err := ParseReady("")
	if err != nil || def.Kind != ReadyExec || !def.Settle {
		t.Fatalf("the default: %+v, %v", def, err)
	}
	if r, err := ParseReady(ReadySettled); err != nil || r.Kind != def.Kind || r.Settle != def.Settle {
		t.Errorf("settled: %+v, %v; want the default %+v", r, err, def)
	}
	if r, err := ParseReady(ReadyExec); err != nil || r.Settle {
		t.Errorf("exec: %+v, %v; want no settling", r, err)
	}
	for _, o := range Options() {
		if o.Flag == "ready" && o.Default[:len(ReadySettled)] != ReadySettled {
			t.Errorf("--ready's default is said to be %q, not %s", o.Default, ReadySettled)
		}
	}
}
