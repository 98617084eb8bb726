// Package account resolves a user and group, by name or numeric id, into
// the credential a process switches to.
package account

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// Lookup resolves userName (and groupName, "" meaning the user's primary
// group) into a credential with the user's supplementary groups. It returns
// nil when userName is empty, and an error when the user or group is
// unknown, or when switching to it needs root and we are not root. A
// numeric id that names no account is accepted as it is.
func Lookup(userName, groupName string) (*syscall.Credential, error) {
	if userName == "" {
		if groupName != "" {
			return nil, fmt.Errorf("group %q given without a user; set the user too", groupName)
		}
		return nil, nil
	}
	u, err := lookupUser(userName)
	if err != nil {
		return nil, fmt.Errorf("unknown user %q: %w", userName, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if groupName != "" {
		g, err := lookupGroup(groupName)
		if err != nil {
			return nil, fmt.Errorf("unknown group %q: %w", groupName, err)
		}
		gid, _ = strconv.ParseUint(g.Gid, 10, 32)
	}
	var groups []uint32
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if n, err := strconv.ParseUint(s, 10, 32); err == nil {
				groups = append(groups, uint32(n))
			}
		}
	}
	if os.Geteuid() != 0 && uint64(os.Geteuid()) != uid {
		return nil, fmt.Errorf("running as user %q needs root (we are uid %d)", userName, os.Geteuid())
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, nil
}

func lookupUser(s string) (*user.User, error) {
	if _, err := strconv.ParseUint(s, 10, 32); err == nil {
		if u, err := user.LookupId(s); err == nil {
			return u, nil
		}
		return &user.User{Uid: s, Gid: s, Username: s}, nil
	}
	return user.Lookup(s)
}

func lookupGroup(s string) (*user.Group, error) {
	if _, err := strconv.ParseUint(s, 10, 32); err == nil {
		if g, err := user.LookupGroupId(s); err == nil {
			return g, nil
		}
		return &user.Group{Gid: s, Name: s}, nil
	}
	return user.LookupGroup(s)
}

// Owner resolves the owner of a file that tend makes for a daemon (a
// --listen socket) into ids for chown, -1 meaning unchanged: userName ""
// leaves the user, groupName "" means userName's primary group (or
// unchanged without a user). Unlike Lookup, it does not ask for root:
// chown does.
func Owner(userName, groupName string) (uid, gid int, err error) {
	uid, gid = -1, -1
	if userName != "" {
		u, err := lookupUser(userName)
		if err != nil {
			return 0, 0, fmt.Errorf("unknown user %q: %w", userName, err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	if groupName != "" {
		g, err := lookupGroup(groupName)
		if err != nil {
			return 0, 0, fmt.Errorf("unknown group %q: %w", groupName, err)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	return uid, gid, nil
}
