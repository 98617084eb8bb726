//go:build unix

package daemon

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// lookupCredential resolves Config.User/Group. It returns nil when no user
// is configured, and an error when one is but we cannot switch to it.
func lookupCredential(userName, groupName string) (*syscall.Credential, error) {
	if userName == "" {
		if groupName != "" {
			return nil, fmt.Errorf("daemon: group %q given without a user; set the user too", groupName)
		}
		return nil, nil
	}
	u, err := lookupUser(userName)
	if err != nil {
		return nil, fmt.Errorf("daemon: user %q: %w", userName, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if groupName != "" {
		g, err := lookupGroup(groupName)
		if err != nil {
			return nil, fmt.Errorf("daemon: group %q: %w", groupName, err)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	var groups []uint32
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if n, err := strconv.Atoi(s); err == nil {
				groups = append(groups, uint32(n))
			}
		}
	}
	if os.Geteuid() != 0 && uid != os.Geteuid() {
		return nil, fmt.Errorf("daemon: running as user %q needs root (we are uid %d)", userName, os.Geteuid())
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, nil
}

func lookupUser(s string) (*user.User, error) {
	if _, err := strconv.Atoi(s); err == nil {
		if u, err := user.LookupId(s); err == nil {
			return u, nil
		}
		return &user.User{Uid: s, Gid: s, Username: s}, nil
	}
	return user.Lookup(s)
}

func lookupGroup(s string) (*user.Group, error) {
	if _, err := strconv.Atoi(s); err == nil {
		if g, err := user.LookupGroupId(s); err == nil {
			return g, nil
		}
		return &user.Group{Gid: s, Name: s}, nil
	}
	return user.LookupGroup(s)
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
