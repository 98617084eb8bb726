package main

import "time"

// experiments lists the campaign, in the order of the issues' items.
func experiments() []*experiment {
	return []*experiment{
		{
			Name: "stopped-supervisor", Issue: "13.1", Tries: 3, ShortTries: 1, Deadline: 90 * time.Second,
			Checks: "supervisor SIGSTOPped (schedule TERM/1/KILL/1, ready timeout 5 s): `signal USR1`, `logs --rotate`, `stop`, `restart` (at once) each fail within 8/8/20/40 s naming its pid and that it is stopped; after SIGCONT none is carried out",
			Timed:  "slowest of the four", Try: tryStoppedSupervisor,
		},
		{
			Name: "control-socket-removed", Issue: "13.2", Tries: 5, ShortTries: 2,
			Checks: "`rm $TEND_HOME/tend.sock` (the host's socket): it is back within 5 s, `signal` works; removed again, `stop` exits 0 within 10 s and ends the daemon",
			Timed:  "socket back", Try: tryControlSocketRemoved,
		},
		{
			Name: "disk-full", Issue: "13.3", Tries: 3, ShortTries: 1, Deadline: 90 * time.Second, Root: true,
			Checks: "TEND_HOME on a full 2 MiB tmpfs, 60,000 lines (7.5 MB): status shows `no space left` and lost lines while it lasts, the daemon lives; space freed: the log recovers within 5 s unasked, says what was lost, lines in order",
			Timed:  "recovery after space returned", Try: tryDiskFull,
		},
		{
			Name: "status-after-kill", Issue: "13.4", Tries: 20, ShortTries: 5,
			Checks: "`status` right after kill -9 of the host (every other try without a cgroup): exit 0, `running` with the daemon's pid under a new host, not stale; `stop` ends it",
			Try:    tryStatusAfterKill,
		},
		{
			Name: "concurrent-up", Issue: "13.5", Tries: 5, ShortTries: 1, Deadline: 90 * time.Second,
			Checks: "6 `tend up` of one 3-line Procfile at once, twice: every run exits 0, each daemon started once then unchanged, one copy each; `down` ends them",
			Try:    tryConcurrentUp,
		},
		{
			Name: "concurrent-restart", Issue: "13.6", Tries: 10, ShortTries: 3,
			Checks: "2 `restart` at once (2 rounds): both exit 0, one daemon; `restart` right after kill -9 of the supervisor: exit 0, old process gone, one new",
			Try:    tryConcurrentRestart,
		},
		{
			Name: "paused-child", Issue: "13.7", Tries: 5, ShortTries: 2,
			Checks: "daemon SIGSTOPped, schedule TERM/10/KILL/5: `stop` exits 0 within 3 s, by TERM",
			Timed:  "stop", Try: tryPausedChild,
		},
		{
			Name: "big-env", Issue: "13.8", Tries: 3, ShortTries: 1,
			Checks: "two 66,000-byte `--env` values: started with both in the daemon's environment (or exit 2, nothing left)",
			Try:    tryBigEnv,
		},
		{
			Name: "procfile-nul", Issue: "13.8", Tries: 3, ShortTries: 1,
			Checks: "a NUL byte in a Procfile's second line: `up` exits 2, nothing started, no folder",
			Try:    tryProcfileNUL,
		},
		{
			Name: "fifo-env-file", Issue: "13.8", Tries: 3, ShortTries: 1,
			Checks: "a FIFO as `--env-file`: refused within 5 s, nothing runs, the name is free",
			Timed:  "refusal", Try: tryFIFOEnvFile,
		},
		{
			Name: "bad-options", Issue: "13.8", Tries: 3, ShortTries: 1,
			Checks: "`--backoff -1s`, `--start-limit -2`, `--log-max-size -2`, `--stop-schedule ''`: each exit 2, no folder, nothing runs",
			Try:    tryBadOptions,
		},
		{
			Name: "listen-dir", Issue: "13.8", Tries: 3, ShortTries: 1,
			Checks: "`--listen unix:///DIR/` (exit 2) and `--listen unix:///DIR`: refused saying it is a directory, not `address already in use`",
			Try:    tryListenDir,
		},
		{
			Name: "odd-state-files", Issue: "13.8", Tries: 3, ShortTries: 1,
			Checks: "definition.json a directory: `restart` works with the supervisor, and without it says `tend start NAME`; status.json unreadable by its owner (nobody): `status` answers running",
			Try:    tryOddStateFiles,
		},
		{
			Name: "rotate-kill9", Issue: "13.9", Tries: 20, ShortTries: 4,
			Checks: "kill -9 of the host at a random moment of constant rotation (4 KiB, 3 files): the writer runs on, a new host takes it over within 2 s and rotates on; output.log there, at most 3 rotated files, lines in order, status not stale",
			Try:    tryRotateKill9,
		},
		{
			Name: "process-name", Issue: "13.10", Tries: 3, ShortTries: 1,
			Checks: "the supervisor's comm is `tend`: `pgrep -x tend` finds it",
			Try:    tryProcessName,
		},
		{
			Name: "run-hygiene", Issue: "13.10", Tries: 3, ShortTries: 1, Needs: []string{"nohup"},
			Checks: "`nohup tend run` with descriptor 9 open: the command has SIGHUP not ignored and only descriptors 0-2",
			Try:    tryRunHygiene,
		},
		{
			Name: "run-listen-name", Issue: "13.10", Tries: 3, ShortTries: 1,
			Checks: "`tend run --name N --listen tcp://127.0.0.1:0`: accepted, `LISTEN_FDNAMES=N`",
			Try:    tryRunListenName,
		},
		{
			Name: "export-names", Issue: "13.10", Tries: 3, ShortTries: 1,
			Checks: "`export systemd` of names with `+` and `@` and `--listen tcp://localhost:P`: escaped unit names (no template), accepted by `systemd-analyze verify`; port 0 refused with the reason",
			Try:    tryExportNames,
		},
		{
			Name: "up-foreground-pid1", Issue: "13.10", Tries: 2, ShortTries: 1, Needs: []string{"unshare"}, Root: true, Deadline: 60 * time.Second,
			Checks: "`tend up --foreground` as PID 1 (unshare --pid): says when a daemon fails for good (within 15 s); the others run on, or, every other try, the daemon is `critical`: tend up brings them down and exits non-zero by itself",
			Try:    tryUpForegroundPID1,
		},
		{
			Name: "logrotate-files", Issue: "13.10", Tries: 3, ShortTries: 1,
			Checks: "output.log renamed to output.log.1 and `logs --reopen`: `logs` prints the lines of both, in order",
			Try:    tryLogrotateFiles,
		},
		{
			Name: "article-daemon", Issue: "12", Tries: 5, ShortTries: 1, Needs: []string{"python3"},
			Checks: "the article's fork-setsid-fork daemon (python3): status follows it (adopted), second start refused, restart without a second copy, stop ends it",
			Try:    tryArticleDaemon,
		},
		{
			Name: "nginx", Issue: "12", Tries: 4, ShortTries: 2, Needs: []string{"nginx"}, Root: true,
			Checks: "nginx as shipped (self-daemonizing; every other try `--pidfile`): status follows the master, HUP reloads, restart: one new master, no `Address already in use`; stop leaves none",
			Try:    tryNginx,
		},
		{
			Name: "escaping-shell-line", Issue: "12", Tries: 5, ShortTries: 1,
			Checks: "`sh -c 'setsid sh -c \"exec sleep N\" & exit 0'`, `--restart always`: followed, one copy after 1 s, second start refused, restart replaces it, stop ends it",
			Try:    tryEscapingShellLine,
		},
		{
			Name: "procfile-shell-line", Issue: "12", Tries: 5, ShortTries: 1, Needs: []string{"python3"},
			Checks: "Procfile `python3 -m http.server --bind 127.0.0.1 $PORT` (PORT in .env): main process is the server, `signal TERM` ends it, restarted it binds the port again; `down` frees it",
			Try:    tryProcfileShellLine,
		},
		{
			Name: "kill9-start-restart", Issue: "12", Tries: 40, ShortTries: 8,
			Checks: "kill -9 of the supervisor at a random moment of a start (0-40 ms after it appears) or a restart (0-60 ms), with and without a cgroup: the daemon is never invisible (status sees it, stop ends it) or duplicated (start refuses while it runs)",
			Try:    tryKill9Random,
		},
		{
			Name: "crash-points", Issue: "12", Tries: 12, ShortTries: 6,
			Checks: "`TEND_TEST_CRASH_AT` at each of start-setup, start-forked, start-spawned, start-listening, stop-requested, stop-stopped (second round without a cgroup): as above",
			Try:    tryCrashPoints,
		},
		{
			Name: "foreign-folder", Issue: "25.1", Tries: 3, ShortTries: 1, Root: true,
			Checks: "nobody plants `victim/` (a record naming root's process) and `planted/` (its own command) while TEND_HOME is world-writable; after chmod go-w: `stop victim` refused, process alive; `resurrect` exits 1 naming the folder, planted command never runs; `list` names both",
			Try:    tryForeignFolder,
		},
		{
			Name: "scale-restart", Issue: "25.2", Tries: 3, ShortTries: 1, Deadline: 120 * time.Second,
			Checks: "2 instances ready after 300 ms; 20 rounds of `scale` to 1-3 with a `restart` 0-40 ms later: each exits 0 within 10 s; then as many copies run as the last scale asked",
			Try:    tryScaleRestart,
		},
		{
			Name: "resurrect-twice", Issue: "25.3", Tries: 5, ShortTries: 1, Deadline: 60 * time.Second,
			Checks: "3 daemons, a reboot (kill -9 of the keeper, the host and the daemons), then 2 `resurrect` at once: both exit 0, each daemon said started by one only, runs once as that pid, not restarted",
			Try:    tryResurrectTwice,
		},
		{
			Name: "resurrect-damaged", Issue: "25.4", Tries: 3, ShortTries: 1,
			Checks: "after a reboot, status.json garbage, empty or a FIFO, definition.json cut short (one daemon each) beside an intact one: `resurrect` exits 1 within 10 s naming each damaged daemon and file, starts the intact one only",
			Try:    tryResurrectDamaged,
		},
		{
			Name: "foreground-slow-stdout", Issue: "25.5", Tries: 4, ShortTries: 2, Deadline: 60 * time.Second,
			Checks: "`tend up --foreground` of a noisy daemon, its stdout a pipe read from 1 s after the SIGTERM at 400 KB/s; SIGHUP, then SIGTERM 0.5 s later: exits within 10 s, daemons gone (every other try as PID 1, as root)",
			Timed:  "SIGTERM to exit", Try: tryForegroundSlowStdout,
		},
		{
			Name: "stop-host-kill", Issue: "25.6", Tries: 40, ShortTries: 8,
			Checks: "`stop`, then kill -9 of the host 5-35 ms later (every other try a daemon that takes 50 ms to end on TERM; every other pair without a cgroup): stop exits 0, nothing of the daemon runs, status says stopped",
			Try:    tryStopHostKill,
		},
		{
			Name: "lock-file-damage", Issue: "25.7", Tries: 3, ShortTries: 1, Deadline: 90 * time.Second,
			Checks: "supervisor.pid a FIFO (a stopped daemon's, a running one's), garbage or an unrelated live pid (--isolated daemons'): list, status, restart, stop answer within 5 s; isolated ones show running; restart and stop work; the unrelated process lives",
			Try:    tryLockFileDamage,
		},
		{
			Name: "bytes-not-utf8", Issue: "25.8", Tries: 3, ShortTries: 1,
			Checks: "`tend start` with an argument, an --env value and a --dir that are not UTF-8: the daemon's cmdline, environ and cwd hold the same bytes, and it opens the file named, after the start and after a restart (from the stored definition)",
			Try:    tryBytesNotUTF8,
		},
		{
			Name: "memory-max-start-limit", Issue: "25.9", Tries: 3, ShortTries: 1, Needs: []string{"python3"}, Deadline: 60 * time.Second,
			Checks: "a daemon that takes 100 MiB at once under `--memory-max 20M --start-limit 3 --start-limit-interval 30s`: ends `failed` within 20 s, the error naming --memory-max, at most 5 restarts",
			Timed:  "to failed", Try: tryMemoryMaxStartLimit,
		},
		{
			Name: "impossible-limit", Issue: "25.9", Tries: 3, ShortTries: 1,
			Checks: "`--limit nofile=2147483648` (above any fs.nr_open): exit 2 within 5 s naming nofile, no folder, nothing runs",
			Timed:  "refusal", Try: tryImpossibleLimit,
		},
		{
			Name: "host-loss", Issue: "20.4", Tries: 120, ShortTries: 6, Deadline: 45 * time.Second,
			Checks: "kill -9 of the host 0-60 ms into a `start`, `stop`, `restart`, `reload`, `scale 2` or `up` (20 tries each) of a daemon writing numbered lines every 5 ms: a new host answers within 2 s; the daemon then runs as asked (the command given again if it failed), no copy doubled or lost, every line of every writer in the log, in order",
			Timed:  "a new host answers", Try: tryHostLoss,
		},
	}
}
