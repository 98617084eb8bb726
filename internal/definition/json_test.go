package definition

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestJSONBytes (issue 25.8): a definition's arguments, directory and
// environment come back from its JSON byte for byte; UTF-8 ones stay
// plain strings, the name and command first; a definition written
// before (plain strings only) still reads.
func TestJSONBytes(t *testing.T) {
	d := Definition{Name: "x", Command: []string{"cat", "caf\xe9.txt"}, Dir: "/tmp/d\xe8r",
		BaseEnv: []string{"A=\xff"}, EnvFiles: []string{"/e\xfe"}, Env: []string{"V=\x80", "W=ü"}, Restart: "always", Instances: 2}
	b, err := json.Marshal(&d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"name":"x","command":["cat",{"base64":"Y2Fm6S50eHQ="}],"dir":{"base64":`) ||
		!strings.Contains(string(b), `"W=ü"`) || !strings.Contains(string(b), `"instances":2`) {
		t.Errorf("JSON %s", b)
	}
	var back Definition
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, d) {
		t.Errorf("read back %+v, %v; expected %+v", back, err, d)
	}
	old := `{"name":"x","command":["sleep","1"],"dir":"/tmp","env":["A=1"],"restart":"always","instances":2}`
	var o Definition
	want := Definition{Name: "x", Command: []string{"sleep", "1"}, Dir: "/tmp", Env: []string{"A=1"}, Restart: "always", Instances: 2}
	if err := json.Unmarshal([]byte(old), &o); err != nil || !reflect.DeepEqual(o, want) {
		t.Errorf("an old definition read as %+v, %v", o, err)
	}
}
