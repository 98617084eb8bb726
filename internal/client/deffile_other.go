//go:build !linux

package client

import (
	"encoding/json"
	"os"

	"github.com/tendhq/tend/internal/definition"
)

// definitionFile returns def as JSON in an unlinked temporary file, read
// from its start.
func definitionFile(def *definition.Definition) (*os.File, error) {
	b, err := json.Marshal(def)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "tend-definition")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
