package rawstr

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestRoundTrip: every string comes back byte for byte; UTF-8 ones are
// written as plain JSON strings.
func TestRoundTrip(t *testing.T) {
	in := Strings{"cat", "caf\xe9.txt", "", "\xff\xfe", "ünï", "a\x00b", "{\"base64\":\"x\"}"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `["cat",{"base64":"Y2Fm6S50eHQ="},"",{"base64":"//4="},"ünï","a\u0000b","{\"base64\":\"x\"}"]`
	if string(b) != want {
		t.Errorf("JSON %s; expected %s", b, want)
	}
	var out Strings
	if err := json.Unmarshal(b, &out); err != nil || !slices.Equal(out, in) {
		t.Errorf("read back %q, %v; expected %q", out, err, in)
	}
	var s String
	if err := json.Unmarshal([]byte(`{"base64":"Y2Fm6S50eHQ="}`), &s); err != nil || s != "caf\xe9.txt" {
		t.Errorf("String %q, %v", s, err)
	}
	if err := json.Unmarshal([]byte(`{"other":1}`), &s); err == nil {
		t.Errorf("an object without base64 read as %q", s)
	}
	var none Strings
	if err := json.Unmarshal([]byte(`null`), &none); err != nil || none != nil {
		t.Errorf("null read as %q, %v", none, err)
	}
	if b, _ := json.Marshal(Strings(nil)); string(b) != "null" {
		t.Errorf("nil written as %s", b)
	}
}
