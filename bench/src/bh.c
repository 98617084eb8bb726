// bh: workload and waiters for tend's benchmarks (bench/run builds it with cc -O2).
//
// Workloads (each stamps its own first instruction, so polling never biases a latency):
//   bh target READY          write "PID REALTIME_US" to READY (atomically), then pause() forever;
//                            SIGTERM keeps its default action, so the process exits at once.
//   bh notify FD READY       like target, and also write "\n" to descriptor FD (readiness protocol
//                            of s6's notification-fd and of tend's --ready fd:N), then close it.
//   bh spew N READY          write READY, then N numbered 100-byte lines to stdout in 64 KiB writes,
//                            then pause() (or exit 0 when BH_SPEW_EXIT is set).
// Waiters (no busy loops):
//   bh waitfile PATH MS      until PATH exists (1 ms sleeps); exit 1 after MS.
//   bh waitgone PID MS       until PID has exited (pidfd + poll); print REALTIME_US; exit 1 after MS.
//   bh waitsize PATH BYTES MS STALL_MS
//                            until size(PATH) >= BYTES (1 ms sleeps); print "REALTIME_US SIZE";
//                            exit 1 after MS, 2 when the size did not change for STALL_MS.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long realtime_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static long long mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static void nap_1ms(void) {
  struct timespec t = {0, 1000000};
  nanosleep(&t, NULL);
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

// stamp writes "PID REALTIME_US\n" to path via a temporary file and rename,
// so a waiter never sees a half-written file.
static void stamp(const char *path, long long ts) {
  char tmp[4096], line[64];
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) { perror(tmp); exit(111); }
  int n = snprintf(line, sizeof line, "%d %lld\n", (int)getpid(), ts);
  if (write_all(fd, line, (size_t)n) < 0) exit(111);
  close(fd);
  if (rename(tmp, path) < 0) { perror("rename"); exit(111); }
}

static void forever(void) {
  for (;;) pause();
}

static int spew(long n) {
  static char buf[65536];
  size_t used = 0;
  for (long i = 0; i < n; i++) {
    if (used + 100 > sizeof buf) {
      if (write_all(1, buf, used) < 0) return 1;
      used = 0;
    }
    char *p = buf + used;
    long v = i;
    for (int d = 11; d >= 0; d--, v /= 10) p[d] = (char)('0' + v % 10);  // 12-digit line number
    p[12] = ' ';
    memset(p + 13, 'x', 86);
    p[99] = '\n';
    used += 100;
  }
  if (used > 0 && write_all(1, buf, used) < 0) return 1;
  return 0;
}

int main(int argc, char **argv) {
  long long t0 = realtime_us();
  if (argc < 2) goto usage;
  const char *op = argv[1];
  if (!strcmp(op, "target") && argc == 3) {
    stamp(argv[2], t0);
    forever();
  }
  if (!strcmp(op, "notify") && argc == 4) {
    int fd = atoi(argv[2]);
    stamp(argv[3], t0);
    if (write_all(fd, "\n", 1) < 0) { perror("notify"); return 111; }
    close(fd);
    forever();
  }
  if (!strcmp(op, "spew") && argc == 4) {
    stamp(argv[3], t0);
    if (spew(atol(argv[2])) != 0) return 1;
    if (getenv("BH_SPEW_EXIT")) return 0;
    forever();
  }
  if (!strcmp(op, "waitfile") && argc == 4) {
    long long deadline = mono_ms() + atol(argv[3]);
    while (access(argv[2], F_OK) != 0) {
      if (mono_ms() > deadline) return 1;
      nap_1ms();
    }
    return 0;
  }
  if (!strcmp(op, "waitgone") && argc == 4) {
    int fd = (int)syscall(SYS_pidfd_open, atoi(argv[2]), 0);
    if (fd < 0) {  // already gone (ESRCH)
      printf("%lld\n", realtime_us());
      return 0;
    }
    struct pollfd p = {fd, POLLIN, 0};
    int r;
    do r = poll(&p, 1, atoi(argv[3])); while (r < 0 && errno == EINTR);
    printf("%lld\n", realtime_us());
    return r == 1 ? 0 : 1;
  }
  if (!strcmp(op, "waitsize") && argc == 6) {
    long long want = atoll(argv[3]), deadline = mono_ms() + atol(argv[4]), stall = atol(argv[5]);
    long long last = -1, changed = mono_ms();
    for (;;) {
      struct stat st;
      long long size = stat(argv[2], &st) == 0 ? (long long)st.st_size : 0;
      long long now = mono_ms();
      if (size >= want) { printf("%lld %lld\n", realtime_us(), size); return 0; }
      if (size != last) { last = size; changed = now; }
      if (now > deadline) { printf("%lld %lld\n", realtime_us(), size); return 1; }
      if (now - changed > stall) { printf("%lld %lld\n", realtime_us(), size); return 2; }
      nap_1ms();
    }
  }
usage:
  fprintf(stderr, "usage: bh target READY | notify FD READY | spew N READY | waitfile PATH MS |\n"
                  "          waitgone PID MS | waitsize PATH BYTES MS STALL_MS\n");
  return 100;
}
