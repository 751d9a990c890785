/* timens.c — time namespace with offsets.
 *
 * clone(CLONE_NEWTIME) cannot set offsets: they can only be written before
 * any process is in the namespace. So the init unshare()s a time namespace
 * for its *children*, writes the offsets, and the command it forks next is
 * the first member. The init itself stays in the host's time namespace;
 * /proc/<init>/ns/time_for_children names the sandbox's one (exec_in uses it).
 * Runs before the mount setup, while the host's /proc is still reachable
 * (a rootfs without mount_proc has no /proc/self).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "init.h"

int nsd_setup_timens(const struct nsd_init_ctx *ctx, int *step)
{
    int fd;
    ssize_t n;

    if (!(ctx->cfg->ns_flags & NSD_CLONE_NEWTIME))
        return 0;
    if (unshare(CLONE_NEWTIME) < 0) {
        *step = NSD_STEP_UNSHARE_TIME;
        return -1;
    }
    /* The init is single-threaded, so /proc/self is right; the file must be
     * written in one write() and before the first fork. */
    fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        *step = NSD_STEP_TIMENS_OFFSETS;
        return -1;
    }
    n = write(fd, ctx->timens_offsets, ctx->timens_offsets_len);
    if (n != (ssize_t)ctx->timens_offsets_len) {
        int saved = n < 0 ? errno : EIO;
        close(fd);
        errno = saved;
        *step = NSD_STEP_TIMENS_OFFSETS;
        return -1;
    }
    close(fd);
    return 0;
}
