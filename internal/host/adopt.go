package host

import "github.com/tendhq/tend/internal/keeper"

// adopt takes over what the hosts before this one left: for now it only
// tells the keeper that the exits none of them recorded are heard.
func (h *Host) adopt(hello *keeper.Hello) {
	var pids []int
	for _, e := range hello.Exits {
		pids = append(pids, e.PID)
	}
	if len(pids) > 0 {
		h.keeper.Ack(pids...)
	}
}
