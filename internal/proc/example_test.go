package proc_test

import (
	"fmt"

	"github.com/tendhq/tend/internal/proc"
)

func ExampleParseSignal() {
	for _, s := range []string{"term", "SIGKILL", "1", "SIGTERMINATE"} {
		sig, err := proc.ParseSignal(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(int(sig), proc.SignalName(sig))
	}
	// Output:
	// 15 TERM
	// 9 KILL
	// 1 HUP
	// proc: unknown signal "SIGTERMINATE"
}
