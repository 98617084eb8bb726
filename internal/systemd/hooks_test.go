package systemd

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/definition"
)

// TestRenderHooks: --on-exit is ExecStopPost=, through /bin/sh -c, and
// reads back as the hook; --on-failure is OnFailure= naming a oneshot
// unit of its own that runs the hook within --hook-timeout.
func TestRenderHooks(t *testing.T) {
	def := &definition.Definition{Name: "web", Command: []string{"/bin/sleep", "100"},
		OnExit: `echo "$TEND_NAME exited" >> /tmp/log`, OnFailure: "mail -s 'web 100% down' ops", HookTimeout: 5 * time.Second}
	u := render(t, def)
	svc := parseUnit(t, u.Service)
	if got := splitExec(t, strings.Join(svc["Service/ExecStopPost"], "")); !slices.Equal(got, []string{"/bin/sh", "-c", def.OnExit}) {
		t.Errorf("ExecStopPost= reads back as %q", got)
	}
	if got := strings.Join(svc["Unit/OnFailure"], "|"); got != "web-on-failure.service" || u.OnFailureUnit() != got {
		t.Errorf("OnFailure=%s, the unit is %s", got, u.OnFailureUnit())
	}
	hook := parseUnit(t, u.OnFailure)
	if got := splitExec(t, strings.Join(hook["Service/ExecStart"], "")); !slices.Equal(got, []string{"/bin/sh", "-c", def.OnFailure}) {
		t.Errorf("the on-failure unit's ExecStart= reads back as %q:\n%s", got, u.OnFailure)
	}
	if hook["Service/Type"][0] != "oneshot" || hook["Service/TimeoutStartSec"][0] != "5s" {
		t.Errorf("the on-failure unit:\n%s", u.OnFailure)
	}
	if none := render(t, &definition.Definition{Name: "plain", Command: []string{"/bin/true"}}); none.OnFailure != "" || none.OnFailureUnit() != "" ||
		strings.Contains(none.Service, "ExecStopPost") {
		t.Errorf("a daemon without hooks has hook settings:\n%s", none.Service)
	}
}
