/* pidfd.c — pidfd helpers for the caller: open (re-adopting sandboxes after
 * a restart), signal (never hits a recycled pid), wait with a timeout. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsd_internal.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int nsd_pidfd_open(pid_t pid)
{
    /* pidfds are always O_CLOEXEC. */
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int nsd_pidfd_send_signal(int pidfd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, 0, 0);
}

int nsd_pidfd_wait(int pidfd, int timeout_ms, struct nsd_wait_status *out)
{
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    siginfo_t si;
    int rc;

    memset(out, 0, sizeof *out);
    /* A pidfd polls readable once the process has exited, whether or not
     * it is our child. */
    rc = poll(&p, 1, timeout_ms);
    if (rc < 0)
        return -1; /* EINTR included: caller retries */
    if (rc == 0)
        return 0;
    memset(&si, 0, sizeof si);
    if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG | __WALL) < 0) {
        if (errno == ECHILD)
            return 1; /* not ours (re-adopted): reaped = 0 */
        return -1;
    }
    if (si.si_pid == 0)
        return 1; /* raced with another waiter */
    out->reaped = 1;
    if (si.si_code == CLD_EXITED)
        out->exit_code = si.si_status;
    else
        out->signal = si.si_status; /* CLD_KILLED / CLD_DUMPED */
    return 1;
}
