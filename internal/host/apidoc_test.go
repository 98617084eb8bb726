package host

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/status"
)

// openAPI is what the test reads of docs/api.json.
type openAPI struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

func readAPIDoc(t *testing.T) *openAPI {
	t.Helper()
	b, err := os.ReadFile("../../docs/api.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docs/api.json: %v", err)
	}
	return &doc
}

// TestAPIDocRoutes: every route the host serves is described in
// docs/api.json, and every route described there is served.
func TestAPIDocRoutes(t *testing.T) {
	doc := readAPIDoc(t)
	var described []string
	for path, ops := range doc.Paths {
		for method := range ops {
			described = append(described, strings.ToUpper(method)+" "+path)
		}
	}
	served := (&Host{}).api().patterns
	slices.Sort(described)
	slices.Sort(served)
	for _, p := range served {
		if !slices.Contains(described, p) {
			t.Errorf("the host serves %s, which docs/api.json does not describe", p)
		}
	}
	for _, p := range described {
		if !slices.Contains(served, p) {
			t.Errorf("docs/api.json describes %s, which the host does not serve", p)
		}
	}
	if len(served) < 20 {
		t.Errorf("only %d routes registered: %v", len(served), served)
	}
}

// TestAPIDocSchemas: the fields of the bodies described in docs/api.json
// are those of the types the host sends and reads, both ways.
func TestAPIDocSchemas(t *testing.T) {
	doc := readAPIDoc(t)
	types := map[string]any{"View": api.View{}, "Record": status.Record{}, "Definition": definition.Definition{},
		"Error": api.Error{}, "HostInfo": api.HostInfo{}, "StopRequest": api.StopRequest{}, "StopOutcome": api.StopOutcome{},
		"UpgradeRequest": api.UpgradeRequest{}, "Event": api.Event{}, "StopResult": api.StopResult{},
		"RestartResult": api.RestartResult{}, "ScaleRequest": api.ScaleRequest{}, "SignalRequest": api.SignalRequest{},
		"SignalResult": api.SignalResult{}, "ReplaceRequest": api.ReplaceRequest{}, "RemoteRequest": api.RemoteRequest{},
		"RemoteInfo": api.RemoteInfo{}, "Exit": status.Exit{}, "Instance": status.Instance{}}
	for name, v := range types {
		schema, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("docs/api.json has no schema %s", name)
			continue
		}
		fields := jsonFields(reflect.TypeOf(v))
		for _, f := range fields {
			if _, ok := schema.Properties[f]; !ok {
				t.Errorf("schema %s in docs/api.json lacks the field %q", name, f)
			}
		}
		for f := range schema.Properties {
			if !slices.Contains(fields, f) {
				t.Errorf("schema %s in docs/api.json has a field %q that the type does not", name, f)
			}
		}
	}
}

// jsonFields returns the JSON names of a struct's fields, embedded ones'
// included.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}
