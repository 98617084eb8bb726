# The classic article's daemon, as it has it: fork and let the parent
# exit, chdir, setsid, umask, fork again, point stdin/stdout/stderr at
# /dev/null, then loop appending start/end timestamps to a log file.
# (The article pings a host between the two; tests may use loopback only,
# so this one sleeps instead.) Usage: article_daemon.py LOGFILE INTERVAL
import os
import sys
import time


def daemonize():
    if os.fork() > 0:
        sys.exit(0)
    os.chdir("/")
    os.setsid()
    os.umask(0)
    if os.fork() > 0:
        sys.exit(0)
    sys.stdout.flush()
    sys.stderr.flush()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)


log, interval = sys.argv[1], float(sys.argv[2])
daemonize()
with open(log, "a") as f:
    f.write("pid %d\n" % os.getpid())
while True:
    with open(log, "a") as f:
        f.write("start %f\n" % time.time())
    time.sleep(interval)
    with open(log, "a") as f:
        f.write("end %f\n" % time.time())
