/*
 * procs: load generator for lsns / GET /namespaces benchmarks.
 *
 * Starts N extra sleeping processes spread over fresh namespace sandboxes:
 * every group of G processes (default 10) lives in its own new
 * pid + mnt + uts + ipc + net + cgroup namespace set (same idea as
 * `unshare --fork --pid --uts --ipc --net --mount`), so /proc has many
 * processes AND many distinct namespaces to walk:
 *   N=2000, G=10 -> 200 sandboxes -> 2000 processes, 1200 extra namespaces.
 *
 *   build: cc -O2 -o bench/out/procs bench/procs.c
 *   run:   bench/out/procs N [-g GROUP] [-t MAX_SECONDS]
 *
 * Runs in the foreground. Once every process exists it prints ONE line on
 * stdout, e.g.
 *   READY procs=2000 groups=200 pgid=1234 pid=1234
 * then waits. It tears everything down (and exits 0) on SIGTERM, SIGINT,
 * SIGHUP or after MAX_SECONDS (default 900). It calls setpgid(0,0), so as a
 * last resort `kill -KILL -- -<pgid>` kills the helper and every sandbox.
 * If the helper itself is SIGKILLed, each sandbox's init notices (its
 * lifeline pipe hits EOF) and exits, which makes the kernel kill the rest of
 * that pid namespace: nothing is left behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

#define NS_FLAGS (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP)

static volatile sig_atomic_t stop_sig = 0;
static void
on_stop(int sig)
{
  stop_sig = sig;
}

static void
die(const char* what)
{
  fprintf(stderr, "procs: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Body of the init (pid 1) of one sandbox: fork `extra` sleepers, report
 * readiness, then block on the lifeline until the helper goes away. When
 * this process exits, the kernel SIGKILLs everything else in its pid ns. */
static void
sandbox_init(int extra, int ready_w, int life_r)
{
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  sethostname("procs-bench", 11); /* own UTS ns: harmless, makes it visible */

  for (int i = 0; i < extra; i++) {
    pid_t p = fork();
    if (p < 0) {
      fprintf(stderr, "procs: sandbox fork: %s\n", strerror(errno));
      break; /* fewer processes; the helper reports the actual count */
    }
    if (p == 0) {
      close(ready_w);
      close(life_r);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (;;)
        pause();
    }
  }
  char ok = 1;
  if (write(ready_w, &ok, 1) != 1)
    _exit(1);
  close(ready_w);

  char b;
  while (read(life_r, &b, 1) < 0 && errno == EINTR)
    ;
  _exit(0); /* EOF: helper is gone (or cleaning up) */
}

int
main(int argc, char** argv)
{
  long n = -1, group = 10, max_secs = 900;
  int opt;
  while ((opt = getopt(argc, argv, "g:t:h")) != -1) {
    switch (opt) {
      case 'g':
        group = strtol(optarg, NULL, 10);
        break;
      case 't':
        max_secs = strtol(optarg, NULL, 10);
        break;
      default:
        fprintf(stderr, "usage: %s N [-g GROUP=10] [-t MAX_SECONDS=900]\n", argv[0]);
        return 2;
    }
  }
  if (optind < argc)
    n = strtol(argv[optind], NULL, 10);
  if (n < 0 || n > 20000 || group < 1 || group > 1000 || max_secs < 1) {
    fprintf(stderr, "usage: %s N(0..20000) [-g GROUP=10] [-t MAX_SECONDS=900]\n", argv[0]);
    return 2;
  }

  setpgid(0, 0); /* own process group: `kill -- -PGID` reaches everything */

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_stop; /* no SA_RESTART: blocking calls return EINTR */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGALRM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  alarm((unsigned) max_secs); /* hard upper bound, even while spawning */

  int ready[2], life[2];
  if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(life, O_CLOEXEC) < 0)
    die("pipe");

  long ngroups = (n + group - 1) / group;
  pid_t* inits = calloc((size_t) (ngroups ? ngroups : 1), sizeof(pid_t));
  if (!inits)
    die("calloc");

  long started = 0, spawned_procs = 0;
  for (long g = 0; g < ngroups && !stop_sig; g++) {
    long size = (g == ngroups - 1) ? n - g * group : group;
    /* fork-like clone straight into new namespaces: child is pid 1 there */
    pid_t p = (pid_t) syscall(SYS_clone, NS_FLAGS | SIGCHLD, NULL, NULL, NULL, NULL);
    if (p < 0) {
      fprintf(stderr, "procs: clone(new namespaces) failed after %ld groups: %s\n", g, strerror(errno));
      break;
    }
    if (p == 0) {
      close(ready[0]);
      close(life[1]);
      sandbox_init((int) size - 1, ready[1], life[0]);
      _exit(0);
    }
    inits[started++] = p;
    spawned_procs += size;
  }
  close(ready[1]);
  close(life[0]);

  /* wait until each sandbox has forked all of its sleepers */
  long ready_count = 0;
  char buf[256];
  while (ready_count < started && !stop_sig) {
    ssize_t r = read(ready[0], buf, sizeof(buf));
    if (r > 0)
      ready_count += r;
    else if (r == 0)
      break; /* some sandbox died early */
    else if (errno != EINTR)
      break;
  }
  close(ready[0]);

  int rc = 0;
  if (!stop_sig) {
    if (ready_count < started || started < ngroups) {
      fprintf(stderr, "procs: only %ld/%ld sandboxes came up\n", ready_count, ngroups);
      rc = 1;
    } else {
      printf("READY procs=%ld groups=%ld pgid=%ld pid=%ld\n", spawned_procs, started, (long) getpgrp(),
             (long) getpid());
      fflush(stdout);
      while (!stop_sig)
        pause();
    }
  }

  /* teardown: killing a sandbox's init kills its whole pid namespace */
  close(life[1]);
  for (long i = 0; i < started; i++)
    kill(inits[i], SIGKILL);
  for (long i = 0; i < started; i++)
    while (waitpid(inits[i], NULL, 0) < 0 && errno == EINTR)
      ;
  fprintf(stderr, "procs: stopped (%s), %ld sandboxes torn down\n",
          stop_sig == SIGALRM ? "time limit" : "signal", started);
  return rc;
}
