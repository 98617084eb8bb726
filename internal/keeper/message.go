package keeper

import "golang.org/x/sys/unix"

// Kinds of messages.
const (
	// From the host.
	kindSpawn    = "spawn"
	kindStore    = "store"
	kindDrop     = "drop"
	kindAck      = "ack"
	kindServing  = "serving"
	kindShutdown = "shutdown"
	kindUpgrade  = "upgrade"
	// From the keeper.
	kindSpawned  = "spawned"
	kindExits    = "exits"
	kindHello    = "hello"
	kindStored   = "stored"
	kindHelloEnd = "hello-end"
)

// Message is one datagram of the wire; Kind says which fields matter.
type Message struct {
	Kind string
	// ID pairs a spawn with its answer.
	ID uint64
	// Spawn is the process to start (kindSpawn); its descriptors come
	// with the message.
	Spawn *Spec
	// PID and Start name the process started (kindSpawned); Err and
	// Errno say why none was.
	PID   int
	Start uint64
	Err   string
	Errno int
	// Exits are the children reaped (kindExits, kindHello).
	Exits []Exit
	// Key names stored descriptors (kindStore, kindDrop: every key
	// under it; kindStored).
	Key string
	// PIDs are the exits acknowledged (kindAck).
	PIDs []int
	// Children are the live children the keeper forked for a host
	// (kindHello), KeeperPID the keeper's pid, and Hosts the hosts it
	// started before (their pids and start times, as Children).
	Children  []Child
	KeeperPID int
	Hosts     []Child
	// Path is the program the keeper executes itself again as
	// (kindUpgrade).
	Path string
}

// Spec is a process to start: os.StartProcess's arguments, with the
// descriptors as indexes into the message's.
type Spec struct {
	// Tag says whose process it is (a daemon's name and incarnation);
	// the keeper keeps it with the child, and reports it with its exit
	// and in the hello of a new host. Its exit is kept until the host
	// acknowledges it. Empty for a short command, whose exit is reported
	// once, and dropped when no host hears it.
	Tag  string
	Path string
	Argv []string
	Env  []string
	Dir  string
	// Files[i] is the child's descriptor i: an index into the
	// message's descriptors, or -1 for closed.
	Files []int
	// Cgroup is the index of a cgroup v2 directory to be born in, or -1.
	Cgroup  int
	Setpgid bool
	// Umask is the child's file mode creation mask; -1 keeps the
	// keeper's (022).
	Umask int
	// Credential, when set, is the user the child runs as.
	Credential *Credential
}

// Credential is syscall.Credential, as data.
type Credential struct {
	UID, GID    uint32
	Groups      []uint32
	NoSetGroups bool
}

// Exit is a child the keeper reaped.
type Exit struct {
	PID    int
	Status unix.WaitStatus
	Tag    string
}

// Child is a live child of the keeper that a host asked for.
type Child struct {
	PID   int
	Start uint64
	Tag   string
}
