package definition

import (
	"encoding/json"

	"github.com/tendhq/tend/internal/state"
)

// MaxDefinitionSize bounds a definition's JSON encoding (command,
// environment and options). definition.json and status.json, which repeats
// the command, must stay readable by state.ReadJSON, which refuses records
// over state.MaxRecordSize; half of that leaves room for the rest of the
// status record.
const MaxDefinitionSize = state.MaxRecordSize / 2

// checkSize refuses a definition too large to be stored and read back.
func (d *Definition) checkSize() error {
	b, err := json.Marshal(d)
	if err != nil {
		return usagef("%v", err)
	}
	if len(b) > MaxDefinitionSize {
		return usagef("the command, its environment and options take %d bytes, too large for tend to keep "+
			"(at most %d); pass less, or start from an empty environment with --clear-env", len(b), MaxDefinitionSize)
	}
	return nil
}
