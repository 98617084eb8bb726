// spawnfloor: the floor of process creation on this machine. For N rounds each, it times
// fork+execve+wait and posix_spawn+wait of PROG (default /bin/true), and fork+_exit+wait,
// and prints one line per method: "METHOD<TAB>median_us<TAB>min_us<TAB>max_us<TAB>n".
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double mono_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void report(const char *method, double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, by_value);
  printf("%s\t%.1f\t%.1f\t%.1f\t%d\n", method, v[n / 2], v[0], v[n - 1], n);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  char *prog = argc > 2 ? argv[2] : "/bin/true";
  char *args[] = {prog, NULL};
  double *v = calloc((size_t)n, sizeof *v);
  if (n < 1 || v == NULL) return 2;
  for (int i = 0; i < n; i++) {
    double t = mono_us();
    pid_t pid = fork();
    if (pid == 0) { execve(prog, args, environ); _exit(127); }
    int st;
    waitpid(pid, &st, 0);
    v[i] = mono_us() - t;
  }
  report("fork+execve+wait", v, n);
  for (int i = 0; i < n; i++) {
    double t = mono_us();
    pid_t pid;
    if (posix_spawn(&pid, prog, NULL, NULL, args, environ) != 0) return 1;
    int st;
    waitpid(pid, &st, 0);
    v[i] = mono_us() - t;
  }
  report("posix_spawn+wait", v, n);
  for (int i = 0; i < n; i++) {
    double t = mono_us();
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    int st;
    waitpid(pid, &st, 0);
    v[i] = mono_us() - t;
  }
  report("fork+_exit+wait", v, n);
  return 0;
}
