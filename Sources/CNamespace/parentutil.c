/* parentutil.c — server-side helpers shared by nsd_spawn and nsd_exec_in:
 * wait for the child's (step, errno) report, clean up a failed child. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

void nsd_close_quietly(int fd)
{
    if (fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
}

int nsd_read_report(int fd, int timeout_ms, struct nsd_report *rep)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ssize_t n;
    int rc;

    /* A bounded wait: a child stuck in setup (say, a hung FUSE rootfs) must
     * not hang the request forever. */
    do {
        rc = poll(&p, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    rep->index = -1;
    if (rc == 0) {
        rep->step = -1;
        rep->err = ETIMEDOUT;
        return 1;
    }
    do {
        n = read(fd, rep, sizeof *rep);
    } while (n < 0 && errno == EINTR);
    if (n == 0)
        return 0; /* EOF: every writer exec'd or exited */
    if (n != (ssize_t)sizeof *rep) {
        rep->step = -1;
        rep->err = n < 0 ? errno : EPROTO;
    }
    return 1;
}

void nsd_reap_failed(pid_t pid, int pidfd, int kill_it)
{
    int saved = errno, status;

    if (kill_it && pidfd >= 0)
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, 0, 0);
    while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
        ;
    nsd_close_quietly(pidfd);
    errno = saved;
}

void nsd_discard_reply(const struct nsd_wire_reply *rep, const int *rfds, int nr)
{
    int first = 0;

    if (rep->pid > 0 && nr >= 1) {
        nsd_reap_failed(rep->pid, rfds[0], 1);
        first = 1;
    }
    for (int i = first; i < nr; i++)
        nsd_close_quietly(rfds[i]);
}
