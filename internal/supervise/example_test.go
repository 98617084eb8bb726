package supervise_test

import (
	"fmt"

	"github.com/tendhq/tend/internal/supervise"
)

func ExampleParseSchedule() {
	for _, s := range []string{"10", "INT/5s/TERM/2.5/KILL/5", "TERM/10/KILL"} {
		sched, err := supervise.ParseSchedule(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(sched)
	}
	// Output:
	// TERM/10s/KILL/10s
	// INT/5s/TERM/2.5s/KILL/5s
	// supervise: schedule "TERM/10/KILL": want SIGNAL/TIMEOUT pairs, "KILL" has no timeout
}
