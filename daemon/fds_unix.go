//go:build unix

package daemon

import (
	"os"

	"github.com/tendhq/tend/internal/proc"
)

// closeStrayOnExec marks every descriptor that is not in keep close-on-exec,
// so that descriptors the launcher inherited without that flag (a shell's
// leaked fd, say) do not reach the daemon.
func closeStrayOnExec(keep []*os.File) {
	keepFD := map[int]bool{}
	for _, f := range keep {
		keepFD[int(f.Fd())] = true
	}
	proc.CloseOnExecExcept(keepFD)
}
