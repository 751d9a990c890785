/*
 * clone-loop: the floor for "start a command in new namespaces".
 *
 * N times: clone3(CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID [|CLONE_NEWNET]),
 * the child execs /bin/true (as pid 1 of its new pid namespace), the parent
 * waits for it. Nothing else: no mount propagation change, no /proc mount,
 * no hostname, no logs — what `unshare` and the server do on top of this is
 * their overhead.
 *
 * -i adds what every sandbox of the server has, without the server: the
 * child is an init that makes / private, mounts a fresh /proc, sets the
 * hostname (and brings lo up with -N), starts the command with
 * CLONE_VM|CLONE_VFORK, waits for it and exits with its status. With the
 * HTTP round trips added, that is the floor for the server's create + wait.
 *
 *   build: cc -O2 -o bench/out/clone-loop bench/clone-loop.c
 *   run:   clone-loop [-n ITERATIONS=500] [-w WARMUP=20] [-N] [-i] [-r RAW_FILE] [-- /path/to/cmd args...]
 *          -N adds CLONE_NEWNET; -i runs an init (above); -r appends every iteration's microseconds to
 * RAW_FILE
 *
 * stdout: CLONE_RESULT flags=muip iterations=500 mean_us=.. p50_us=.. p99_us=.. max_us=..
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

static double
now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_double(const void* a, const void* b)
{
  double x = *(const double*) a, y = *(const double*) b;
  return x < y ? -1 : x > y;
}

static char* default_argv[] = { "/bin/true", NULL };
static char* empty_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

static int with_init = 0;
static char** command;

static int
exec_command(void* unused)
{
  (void) unused;
  execve(command[0], command, empty_env);
  _exit(127);
}

/* The sandbox init's work, minus the server's bookkeeping. */
static void
init_main(uint64_t flags)
{
  static char stack[64 * 1024] __attribute__((aligned(64)));
  int status;
  if (mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
      mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
      sethostname("clone-loop", 10) < 0)
    _exit(126);
  if (flags & CLONE_NEWNET) {
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
      _exit(126);
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
      _exit(126);
    close(s);
  }
  pid_t pid = clone(exec_command, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
  if (pid < 0)
    _exit(126);
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      _exit(126);
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int
one(uint64_t flags, char** argv)
{
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0)
    return -1;
  if (pid == 0) {
    if (with_init)
      init_main(flags);
    execve(argv[0], argv, empty_env);
    _exit(127);
  }
  int status;
  while (waitpid((pid_t) pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    errno = ECHILD;
    return -1;
  }
  return 0;
}

int
main(int argc, char** argv)
{
  long n = 500, warmup = 20;
  uint64_t flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID;
  int opt;
  const char* raw_out = NULL;
  while ((opt = getopt(argc, argv, "n:w:Nir:h")) != -1) {
    switch (opt) {
      case 'n':
        n = atol(optarg);
        break;
      case 'w':
        warmup = atol(optarg);
        break;
      case 'N':
        flags |= CLONE_NEWNET;
        break;
      case 'i':
        with_init = 1;
        break;
      case 'r':
        raw_out = optarg;
        break;
      default:
        fprintf(stderr, "usage: %s [-n ITERATIONS] [-w WARMUP] [-N] [-i] [-r RAW_FILE] [-- cmd args...]\n",
                argv[0]);
        return 2;
    }
  }
  char** cmd = optind < argc ? argv + optind : default_argv;
  command = cmd;
  if (n < 1 || warmup < 0)
    return 2;
  for (long i = 0; i < warmup; i++)
    if (one(flags, cmd) < 0) {
      fprintf(stderr, "clone-loop: %s\n", strerror(errno));
      return 1;
    }
  double* v = malloc((size_t) n * sizeof(double));
  double total0 = now_us(), sum = 0;
  for (long i = 0; i < n; i++) {
    double t0 = now_us();
    if (one(flags, cmd) < 0) {
      fprintf(stderr, "clone-loop: iteration %ld: %s\n", i, strerror(errno));
      return 1;
    }
    v[i] = now_us() - t0;
    sum += v[i];
  }
  double wall = now_us() - total0;
  if (raw_out) {
    FILE* raw = fopen(raw_out, "a");
    if (!raw) {
      fprintf(stderr, "clone-loop: %s: %s\n", raw_out, strerror(errno));
      return 2;
    }
    for (long i = 0; i < n; i++)
      fprintf(raw, "%.1f\n", v[i]);
    fclose(raw);
  }
  qsort(v, (size_t) n, sizeof(double), cmp_double);
  long i50 = (long) (0.50 * n + 0.999999) - 1, i99 = (long) (0.99 * n + 0.999999) - 1;
  printf("CLONE_RESULT flags=%s init=%d iterations=%ld mean_us=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f "
         "wall_per_iter_us=%.1f\n",
         (flags & CLONE_NEWNET) ? "muipn" : "muip", with_init, n, sum / n, v[i50 < 0 ? 0 : i50],
         v[i99 < 0 ? 0 : i99], v[n - 1], wall / n);
  return 0;
}
