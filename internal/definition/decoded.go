package definition

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SetDecoded sets the option in d from a value decoded from a file such as
// tend.toml: a string, bool, int64, float64, []any or map[string]any, as
// TOML and JSON decoders give them. Each kind takes what reads naturally
// in such a file:
//
//   - String: a string; Bool: true or false.
//   - Int: an integer.
//   - Size: an integer (bytes) or a string with a unit ("10M").
//   - Duration: a string with a unit ("1m30s"), or a number of seconds.
//   - List: a string, or an array of strings.
//   - Env: a table of KEY = value (string, number or boolean), or an
//     array of "KEY=VALUE" strings; a table's keys are sorted.
//
// The error says what the value should be; it does not name the key.
func (o *Option) SetDecoded(d *Definition, v any) error {
	switch o.Kind {
	case String:
		s, ok := v.(string)
		if !ok {
			return o.want(v)
		}
		return o.Set(d, s)
	case Bool:
		b, ok := v.(bool)
		if !ok {
			return o.want(v)
		}
		*o.field(d).(*bool) = b
		return nil
	case Int, Size:
		switch x := v.(type) {
		case int64:
			return o.Set(d, strconv.FormatInt(x, 10))
		case string:
			if o.Kind == Size {
				return o.Set(d, x)
			}
		}
		return o.want(v)
	case Duration:
		switch x := v.(type) {
		case string:
			return o.Set(d, x)
		case int64:
			if x < 0 {
				return o.want(v)
			}
			return o.Set(d, strconv.FormatInt(x, 10))
		case float64:
			if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) || x*float64(time.Second) >= math.MaxInt64 {
				return o.want(v)
			}
			*o.field(d).(*time.Duration) = time.Duration(math.Round(x * float64(time.Second)))
			return nil
		}
		return o.want(v)
	case List:
		list, err := stringList(v)
		if err != nil {
			return o.want(v)
		}
		for _, s := range list {
			if err := o.Set(d, s); err != nil {
				return err
			}
		}
		return nil
	case Env:
		list, err := envList(v)
		if err != nil {
			return err
		}
		for _, kv := range list {
			if err := o.Set(d, kv); err != nil {
				return err
			}
		}
		return nil
	}
	return o.want(v)
}

// want says what the option takes in a file, and what it was given.
func (o *Option) want(v any) error {
	var w string
	switch o.Kind {
	case String:
		w = "a string"
	case Bool:
		w = "true or false"
	case Int:
		w = "an integer"
		if o.NoLimit {
			w += " (-1 for no limit)"
		}
	case Size:
		w = `a size such as "10M", "512K" or 1048576 (bytes)`
		if o.NoLimit {
			w += ", or -1 for no limit"
		}
	case Duration:
		w = `a duration such as "10s", "1m30s" or 10 (seconds)`
	case List:
		w = "a string, or an array of strings"
	case Env:
		w = `a table, as in { PORT = "8080" }, or an array of "KEY=VALUE" strings`
	}
	return fmt.Errorf("want %s, not %s", w, Describe(v))
}

// Describe names a decoded value for an error message: its text for a
// string, a number or a boolean ("\"5 s\"", "5"), its kind otherwise ("an
// array").
func Describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case int64, float64, bool:
		return fmt.Sprint(x)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("a %T", v)
}

func stringList(v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		return []string{x}, nil
	case []string:
		return x, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, errors.New("not a string")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, errors.New("not a list")
}

// envList converts a decoded env value into KEY=VALUE strings.
func envList(v any) ([]string, error) {
	const want = `want a table, as in { PORT = "8080" }, or an array of "KEY=VALUE" strings`
	switch e := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var out []string
		for _, k := range keys {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return nil, fmt.Errorf("%q is not a variable name", k)
			}
			var s string
			switch x := e[k].(type) {
			case string:
				s = x
			case int64:
				s = strconv.FormatInt(x, 10)
			case float64:
				s = strconv.FormatFloat(x, 'g', -1, 64)
			case bool:
				s = strconv.FormatBool(x)
			default:
				return nil, fmt.Errorf("%s: want a string, a number or a boolean, not %s", k, Describe(x))
			}
			out = append(out, k+"="+s)
		}
		return out, nil
	case []any, []string:
		out, err := stringList(e)
		if err != nil {
			return nil, errors.New(want)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s, not %s", want, Describe(v))
}
