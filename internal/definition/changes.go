package definition

import (
	"reflect"
	"slices"
	"strings"
)

// reloadFields are the fields that a reload applies (see Changes).
var reloadFields = []string{"Command", "Dir", "BaseEnv", "ClearEnv", "EnvFiles", "Env", "EnvDigest", "User", "Group", "Umask", "PIDFile"}

// Changes names the fields (by their JSON names) in which next differs
// from d: those a reload applies to a running daemon (its command,
// arguments, environment, working directory, user, umask, pidfile), and
// the others, which belong to its supervisor (sockets, log, readiness,
// restart policy...) and need a restart.
func (d *Definition) Changes(next *Definition) (reloadable, other []string) {
	a, b := reflect.ValueOf(*d), reflect.ValueOf(*next)
	for i := 0; i < a.NumField(); i++ {
		f := a.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		x, y := a.Field(i), b.Field(i)
		if x.Kind() == reflect.Slice && x.Len() == 0 && y.Len() == 0 {
			continue // nil and empty are the same
		}
		if reflect.DeepEqual(x.Interface(), y.Interface()) {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if slices.Contains(reloadFields, f.Name) {
			reloadable = append(reloadable, name)
		} else {
			other = append(other, name)
		}
	}
	return reloadable, other
}
