//go:build unix

package daemon

import (
	"fmt"
	"os"
	"syscall"

	"github.com/tendhq/tend/internal/account"
)

// lookupCredential resolves Config.User/Group. It returns nil when no user
// is configured, and an error when one is but we cannot switch to it.
func lookupCredential(userName, groupName string) (*syscall.Credential, error) {
	cred, err := account.Lookup(userName, groupName)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	return cred, nil
}

// dropPrivileges switches every thread of the process to the configured
// user: supplementary groups, then gid, then uid (real, effective and saved:
// setuid as root sets all three), so that there is no way back.
func dropPrivileges(userName, groupName string) error {
	cred, err := lookupCredential(userName, groupName)
	if err != nil || cred == nil {
		return err
	}
	if os.Geteuid() != 0 {
		return nil // already that user (lookupCredential checked)
	}
	groups := make([]int, len(cred.Groups))
	for i, g := range cred.Groups {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("daemon: setgroups for %s: %w", userName, err)
	}
	if err := syscall.Setgid(int(cred.Gid)); err != nil {
		return fmt.Errorf("daemon: setgid %d: %w", cred.Gid, err)
	}
	if err := syscall.Setuid(int(cred.Uid)); err != nil {
		return fmt.Errorf("daemon: setuid %d: %w", cred.Uid, err)
	}
	return nil
}
