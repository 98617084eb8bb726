package definition

import "testing"

func TestRestartPolicy(t *testing.T) {
	tests := []struct {
		policy RestartPolicy
		code   int
		want   bool
	}{
		{OnFailure, 0, false},
		{OnFailure, 1, true},
		{OnFailure, 137, true},
		{OnFailure, 127, true},
		{Always, 0, true},
		{Always, 2, true},
		{Never, 0, false},
		{Never, 139, false},
	}
	for _, tt := range tests {
		if got := tt.policy.Restarts(tt.code); got != tt.want {
			t.Errorf("%v.Restarts(%d) = %v, want %v", tt.policy, tt.code, got, tt.want)
		}
	}
	var zero RestartPolicy
	if zero != OnFailure {
		t.Errorf("zero RestartPolicy is %v, want on-failure", zero)
	}
	for _, r := range []RestartPolicy{OnFailure, Always, Never} {
		if got, err := ParseRestartPolicy(r.String()); err != nil || got != r {
			t.Errorf("ParseRestartPolicy(%q) = %v, %v", r.String(), got, err)
		}
	}
	if got, err := ParseRestartPolicy("ALWAYS"); err != nil || got != Always {
		t.Errorf("ParseRestartPolicy(ALWAYS) = %v, %v", got, err)
	}
	if _, err := ParseRestartPolicy("sometimes"); err == nil {
		t.Error("ParseRestartPolicy(sometimes) succeeded")
	}
}
