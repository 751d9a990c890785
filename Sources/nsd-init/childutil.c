/* childutil.c — small helpers for the child side: fd hygiene, stdio,
 * signal reset, error reports, number formatting. All async-signal-safe. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init.h"

void nsd_report(int fd, int step, int index)
{
    struct nsd_report r = { .step = step, .err = errno, .index = index };
    ssize_t n;
    if (fd < 0)
        return;
    /* 12 bytes < PIPE_BUF: one atomic write; the parent treats a short
     * read as a generic failure anyway. */
    do {
        n = write(fd, &r, sizeof r);
    } while (n < 0 && errno == EINTR);
}

void nsd_report_inodes(int fd, int with_time)
{
    static const char *const links[NSD_NS_COUNT] = {
        "/proc/self/ns/mnt", "/proc/self/ns/uts",  "/proc/self/ns/ipc",    "/proc/self/ns/pid",
        "/proc/self/ns/net", "/proc/self/ns/user", "/proc/self/ns/cgroup", "/proc/self/ns/time",
    };
    struct nsd_inodes_report r;
    struct stat st;
    ssize_t n;

    memset(&r, 0, sizeof r);
    r.head.step = NSD_MSG_INODES;
    r.head.index = NSD_NS_COUNT;
    for (int i = 0; i < NSD_NS_COUNT; i++) {
        const char *path = links[i];
        if (i == NSD_NS_COUNT - 1 && with_time)
            path = "/proc/self/ns/time_for_children";
        if (stat(path, &st) == 0)
            r.inode[i] = (uint64_t)st.st_ino;
    }
    /* 88 bytes < PIPE_BUF: one atomic write. */
    do {
        n = write(fd, &r, sizeof r);
    } while (n < 0 && errno == EINTR);
}

void nsd_close_all_except(const int *keep, int n)
{
    int sorted[16];
    int m = 0;
    unsigned int lo = 3;

    /* Insertion sort of the (few) fds to keep, ignoring those below 3. */
    for (int i = 0; i < n && m < 16; i++) {
        int v = keep[i], j = m;
        if (v < 3)
            continue;
        while (j > 0 && sorted[j - 1] > v) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = v;
        m++;
    }
    for (int i = 0; i < m; i++) {
        unsigned int k = (unsigned int)sorted[i];
        if (k < lo)
            continue; /* duplicate */
        if (k > lo)
            close_range(lo, k - 1, 0);
        lo = k + 1;
    }
    close_range(lo, ~0U, 0);
}

int nsd_setup_stdio(int in, int out, int err)
{
    /* Copy the three above 2 first: dup2(out, 1) would clobber `err` when
     * the caller passed err == 1, and so on. The copies are CLOEXEC. */
    int src[3] = { in, out, err };
    int tmp[3];
    for (int i = 0; i < 3; i++) {
        tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
        if (tmp[i] < 0)
            return -1;
    }
    for (int i = 0; i < 3; i++) {
        if (dup2(tmp[i], i) < 0)
            return -1;
        close(tmp[i]);
    }
    return 0;
}

void nsd_default_dispositions(void)
{
    /* Exec resets handlers but keeps SIG_IGN (the server may ignore SIGPIPE
     * or SIGCHLD); a command must start with defaults, and an init needs
     * SIGCHLD at SIG_DFL or its children are auto-reaped. The spawner does
     * this once at start and never installs a handler, so every process it
     * clones inherits defaults and skips these ~60 syscalls. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        (void)sigaction(sig, &sa, 0); /* glibc-internal signals: EINVAL, fine */
    }
}

void nsd_unblock_signals(void)
{
    sigset_t none;
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, 0);
}

int nsd_fmt_u64(char *buf, uint64_t v)
{
    char tmp[24];
    int n = 0, i = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        buf[i++] = tmp[--n];
    return i;
}
