package cgroup

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMountinfo(t *testing.T) {
	const hybrid = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`
	const pure = `25 22 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`
	const odd = `50 22 0:40 /system.slice/my\040app.service /mnt/cg\134x rw master:1 shared:9 - cgroup2 none rw
51 22 0:41 / /mnt/cgroup2-but-tmpfs rw - tmpfs cgroup2 rw
`
	for _, tc := range []struct {
		name, in string
		want     []mount
	}{
		{"hybrid", hybrid, []mount{{"/", "/sys/fs/cgroup/unified"}}},
		{"pure", pure, []mount{{"/", "/sys/fs/cgroup"}}},
		{"escaped, optional fields", odd, []mount{{"/system.slice/my app.service", `/mnt/cg\x`}}},
		{"none", "", nil},
	} {
		got, err := parseMountinfo(strings.NewReader(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}

func TestParseCgroupFile(t *testing.T) {
	hybrid := "9:name=systemd:/\n4:memory:/x/y\n0::/user.slice/tend\n"
	if got, err := parseCgroupFile(strings.NewReader(hybrid)); err != nil || got != "/user.slice/tend" {
		t.Errorf("hybrid: got %q, %v", got, err)
	}
	if got, err := parseCgroupFile(strings.NewReader("0::/\n")); err != nil || got != "/" {
		t.Errorf("root: got %q, %v", got, err)
	}
	v1 := "4:memory:/x\n1:cpu:/\n"
	if _, err := parseCgroupFile(strings.NewReader(v1)); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("v1 only: err = %v, want ErrUnsupported", err)
	}
}

func TestLocate(t *testing.T) {
	mounts := []mount{{"/lxc/c1", "/sys/fs/cgroup"}, {"/", "/mnt/full"}}
	for _, tc := range []struct {
		own, want string
		ok        bool
	}{
		{"/lxc/c1/svc", "/sys/fs/cgroup/svc", true},
		{"/lxc/c1", "/sys/fs/cgroup", true},
		{"/lxc/c10", "/mnt/full/lxc/c10", true},
		{"/user.slice", "/mnt/full/user.slice", true},
		{"/../outside", "", false},
		{"relative", "", false},
	} {
		got, ok := locate(mounts, tc.own)
		if got != tc.want || ok != tc.ok {
			t.Errorf("locate(%q) = %q, %v; want %q, %v", tc.own, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := locate(mounts[:1], "/user.slice"); ok {
		t.Error("a group outside the mount's root was located")
	}
}
