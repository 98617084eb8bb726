package definition

import (
	"encoding/json"

	"github.com/tendhq/tend/internal/rawstr"
)

// plain is Definition without its JSON methods.
type plain Definition

// wire is Definition's JSON: the fields that hold the caller's bytes
// (arguments, the working directory, the environment and env files'
// paths) as rawstr, so that what is not UTF-8 survives byte for byte;
// they come first, in the order of Definition, the rest after them.
type wire struct {
	Name     string         `json:"name"`
	Command  rawstr.Strings `json:"command"`
	Dir      rawstr.String  `json:"dir,omitzero"`
	BaseEnv  rawstr.Strings `json:"base_env,omitzero"`
	ClearEnv bool           `json:"clear_env,omitzero"`
	EnvFiles rawstr.Strings `json:"env_files,omitzero"`
	Env      rawstr.Strings `json:"env,omitzero"`
	*plain
}

// MarshalJSON writes d with its arguments, directory and environment
// lossless (see package rawstr): as JSON strings when they are UTF-8.
func (d Definition) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire{Name: d.Name, Command: d.Command, Dir: rawstr.String(d.Dir), BaseEnv: d.BaseEnv,
		ClearEnv: d.ClearEnv, EnvFiles: d.EnvFiles, Env: d.Env, plain: (*plain)(&d)})
}

// UnmarshalJSON reads what MarshalJSON writes, and the plain strings of
// definitions written before it.
func (d *Definition) UnmarshalJSON(b []byte) error {
	w := wire{Name: d.Name, Command: d.Command, Dir: rawstr.String(d.Dir), BaseEnv: d.BaseEnv,
		ClearEnv: d.ClearEnv, EnvFiles: d.EnvFiles, Env: d.Env, plain: (*plain)(d)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	d.Name, d.Command, d.Dir, d.BaseEnv = w.Name, w.Command, string(w.Dir), w.BaseEnv
	d.ClearEnv, d.EnvFiles, d.Env = w.ClearEnv, w.EnvFiles, w.Env
	return nil
}
