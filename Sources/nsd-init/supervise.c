/* supervise.c — the main loop of the sandbox init:
 * forward signals to the command, reap every child (orphans re-parented to
 * us included), record how the command ended, then exit. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

void nsd_forward_sigset(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
        sigaddset(set, forwarded[i]);
    sigaddset(set, SIGCHLD);
}

/* "exit 7 1733000000123456789\n" / "signal 15 ...\n", one pwrite at 0. A
 * record without the trailing newline is torn and must be ignored. No fsync:
 * a server restarted after its own crash reads the page cache, and a running
 * server journals (and syncs) the status itself the moment it reaps us; only
 * a crash of the whole machine in the next seconds could lose the record,
 * and an fsync here would delay every sandbox's exit by a disk flush. */
static void write_record(int fd, int status)
{
    char buf[64];
    int n = 0;
    struct timespec ts;
    const char *word = WIFSIGNALED(status) ? "signal " : "exit ";
    uint64_t num = WIFSIGNALED(status) ? (uint64_t)WTERMSIG(status)
                                       : (uint64_t)WEXITSTATUS(status);
    if (fd < 0)
        return;
    for (const char *p = word; *p; p++)
        buf[n++] = *p;
    n += nsd_fmt_u64(buf + n, num);
    buf[n++] = ' ';
    /* CLOCK_REALTIME is not virtualised by time namespaces. */
    clock_gettime(CLOCK_REALTIME, &ts);
    n += nsd_fmt_u64(buf + n, (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
    buf[n++] = '\n';
    while (pwrite(fd, buf, (size_t)n, 0) < 0 && errno == EINTR)
        ;
}

/* 128+sig rather than re-raising: a pid-ns init cannot kill itself with
 * its own signal (the kernel ignores it), and the record has the detail. */
static __attribute__((noreturn)) void finish(int status, int record_fd)
{
    write_record(record_fd, status);
    if (WIFSIGNALED(status))
        _exit(128 + WTERMSIG(status));
    _exit(WEXITSTATUS(status));
}

void nsd_supervise(pid_t child, int record_fd)
{
    sigset_t set;
    nsd_forward_sigset(&set);
    /* The caller blocked these before forking, so nothing was lost. */
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig < 0)
            continue;                  /* EINTR */
        if (sig != SIGCHLD) {
            kill(child, sig);
            continue;
        }
        /* SIGCHLD coalesces: reap everything that is ready. */
        for (;;) {
            int status;
            pid_t w = waitpid(-1, &status, WNOHANG | __WALL);
            if (w <= 0)
                break;
            if (w == child && (WIFEXITED(status) || WIFSIGNALED(status)))
                finish(status, record_fd);
        }
    }
}
