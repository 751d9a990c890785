/* supervise.c — the main loop of the sandbox init:
 * forward signals to the command, reap every child (orphans re-parented to
 * us included), record how the command ended, then exit. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
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
    uint64_t num = WIFSIGNALED(status) ? (uint64_t)WTERMSIG(status) : (uint64_t)WEXITSTATUS(status);
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

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* a full disk loses output, never the sandbox */
        p += w;
        n -= (size_t)w;
    }
}

/* One read of stream i: what fits under the cap goes to the log, then the
 * marker, once; the rest is read and dropped so the writer never blocks.
 * 0 at EOF (or error), else 1. */
static int relay_once(struct nsd_log_relay *r, int i)
{
    static char buf[65536];
    ssize_t n = read(r->pipes[i], buf, sizeof buf);
    uint64_t room;
    size_t keep;

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 1;
    if (n <= 0)
        return 0;
    room = r->written[i] < r->cap ? r->cap - r->written[i] : 0;
    keep = (uint64_t)n < room ? (size_t)n : (size_t)room;
    if (keep) {
        write_all(r->files[i], buf, keep);
        r->written[i] += keep;
    }
    if (keep < (size_t)n && !r->truncated[i]) {
        write_all(r->files[i], NSD_LOG_MARKER, sizeof NSD_LOG_MARKER - 1);
        r->truncated[i] = 1;
    }
    return 1;
}

/* What the command wrote before it ended; processes it left behind may
 * still hold the pipes, so no waiting for EOF. */
static void drain(struct nsd_log_relay *r)
{
    for (int i = 0; i < 2; i++) {
        struct pollfd p = { .fd = r->pipes[i], .events = POLLIN };
        while (r->pipes[i] >= 0 && poll(&p, 1, 0) == 1 && relay_once(r, i))
            ;
    }
}

static void reap_ready(pid_t child, int record_fd, struct nsd_log_relay *relay)
{
    /* SIGCHLD coalesces: reap everything that is ready. */
    for (;;) {
        int status;
        pid_t w = waitpid(-1, &status, WNOHANG | __WALL);
        if (w <= 0)
            return;
        if (w == child && (WIFEXITED(status) || WIFSIGNALED(status))) {
            if (relay)
                drain(relay);
            finish(status, record_fd);
        }
    }
}

void nsd_supervise(pid_t child, int record_fd, struct nsd_log_relay *relay)
{
    sigset_t set;
    struct pollfd fds[3];

    nsd_forward_sigset(&set);
    /* The caller blocked these before forking, so nothing was lost. */
    if (!relay) {
        for (;;) {
            siginfo_t si;
            int sig = sigwaitinfo(&set, &si);
            if (sig < 0)
                continue; /* EINTR */
            if (sig != SIGCHLD)
                kill(child, sig);
            else
                reap_ready(child, record_fd, relay);
        }
    }
    for (;;) {
        fds[0] = (struct pollfd){ .fd = relay->signals, .events = POLLIN };
        fds[1] = (struct pollfd){ .fd = relay->pipes[0], .events = POLLIN };
        fds[2] = (struct pollfd){ .fd = relay->pipes[1], .events = POLLIN };
        if (poll(fds, 3, -1) < 0)
            continue; /* EINTR */
        for (int i = 0; i < 2; i++)
            if (fds[i + 1].revents && !relay_once(relay, i)) {
                close(relay->pipes[i]);
                relay->pipes[i] = -1; /* poll skips negative fds */
            }
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(relay->signals, &si, sizeof si) != (ssize_t)sizeof si)
                continue;
            if ((int)si.ssi_signo != SIGCHLD)
                kill(child, (int)si.ssi_signo);
            else
                reap_ready(child, record_fd, relay);
        }
    }
}
