/* spawn.c — nsd_spawn, the parent side: validate, prepare everything the
 * child needs (it may not allocate), clone3 into the new namespaces, write
 * the user-namespace maps, release the child, and wait until the command
 * has really been exec'd (EOF on the CLOEXEC error pipe) or a step failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nsd_internal.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000ULL
#endif
#define NSD_CLONE_CLEAR_SIGHAND 0x100000000ULL

/* How long the parent waits for the child's setup and exec. */
#define NSD_SETUP_TIMEOUT_MS 30000

_Static_assert(NSD_CLONE_NEWNS == CLONE_NEWNS && NSD_CLONE_NEWPID == CLONE_NEWPID &&
               NSD_CLONE_NEWUSER == CLONE_NEWUSER && NSD_CLONE_NEWNET == CLONE_NEWNET &&
               NSD_CLONE_NEWUTS == CLONE_NEWUTS && NSD_CLONE_NEWIPC == CLONE_NEWIPC &&
               NSD_CLONE_NEWCGROUP == CLONE_NEWCGROUP && NSD_CLONE_NEWTIME == CLONE_NEWTIME,
               "NSD_CLONE_* must match the kernel's CLONE_NEW*");

static int fail(struct nsd_spawn_result *out, const char *step, int err)
{
    out->step = step;
    out->err = err;
    return -1;
}

/* Options that need a namespace that was not asked for are caller bugs. */
static int valid(const struct nsd_spawn_config *cfg)
{
    uint64_t f = cfg->ns_flags;
    if (!cfg->path || !cfg->argv || !cfg->envp || (f & ~NSD_ALL_NS))
        return 0;
    if ((cfg->rootfs || cfg->readonly_rootfs) && !(f & NSD_CLONE_NEWNS))
        return 0;
    if (cfg->mount_proc && (f & (NSD_CLONE_NEWNS | NSD_CLONE_NEWPID)) !=
                               (NSD_CLONE_NEWNS | NSD_CLONE_NEWPID))
        return 0;
    if ((cfg->hostname || cfg->domainname) && !(f & NSD_CLONE_NEWUTS))
        return 0;
    if ((cfg->uid_map || cfg->gid_map || cfg->setgroups_deny) && !(f & NSD_CLONE_NEWUSER))
        return 0;
    if ((cfg->time_offset_monotonic || cfg->time_offset_boottime) && !(f & NSD_CLONE_NEWTIME))
        return 0;
    if (cfg->stdout_fd < 0 || cfg->stderr_fd < 0)
        return 0;
    return 1;
}

static int write_proc_file(pid_t pid, const char *name, const char *data)
{
    char path[64];
    size_t len = strlen(data);
    ssize_t n;
    int fd;

    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* The kernel accepts a map in one single write only. */
    n = write(fd, data, len);
    if (n != (ssize_t)len) {
        int saved = n < 0 ? errno : EIO;
        close(fd);
        errno = saved;
        return -1;
    }
    return close(fd);
}

/* Parent half of the user-namespace handshake; returns the failed step. */
static const char *write_maps(const struct nsd_spawn_config *cfg, pid_t pid)
{
    if (!(cfg->ns_flags & NSD_CLONE_NEWUSER))
        return 0;
    if (cfg->setgroups_deny && write_proc_file(pid, "setgroups", "deny") < 0)
        return "setgroups";
    if (cfg->uid_map && write_proc_file(pid, "uid_map", cfg->uid_map) < 0)
        return "uid_map";
    if (cfg->gid_map && write_proc_file(pid, "gid_map", cfg->gid_map) < 0)
        return "gid_map";
    return 0;
}

int nsd_spawn(const struct nsd_spawn_config *cfg, struct nsd_spawn_result *out)
{
    struct nsd_init_ctx ctx;
    struct nsd_report rep;
    int sync_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
    int pidfd = -1;
    const char *map_step;
    pid_t pid;
    ssize_t n;

    memset(out, 0, sizeof *out);
    out->pid = -1;
    out->pidfd = -1;
    if (!valid(cfg))
        return fail(out, "config", EINVAL);

    /* Everything the child reads is computed here: it may not allocate. */
    memset(&ctx, 0, sizeof ctx);
    ctx.cfg = cfg;
    ctx.cwd = cfg->cwd ? cfg->cwd : "/";
    ctx.hostname_len = cfg->hostname ? strlen(cfg->hostname) : 0;
    ctx.domainname_len = cfg->domainname ? strlen(cfg->domainname) : 0;
    n = snprintf(ctx.timens_offsets, sizeof ctx.timens_offsets,
                 "monotonic %lld 0\nboottime %lld 0\n",
                 (long long)cfg->time_offset_monotonic, (long long)cfg->time_offset_boottime);
    ctx.timens_offsets_len = (size_t)n;
    nsd_argument_area(&ctx.args, &ctx.args_len);

    /* stdin of the command: opened before clone, the rootfs may lack /dev. */
    ctx.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (ctx.devnull < 0)
        return fail(out, "open /dev/null", errno);
    if (pipe2(sync_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0) {
        int e = errno;
        nsd_close_quietly(sync_p[0]);
        nsd_close_quietly(sync_p[1]);
        nsd_close_quietly(ctx.devnull);
        return fail(out, "pipe", e);
    }
    ctx.sync_r = sync_p[0];
    ctx.err_w = err_p[1];

    /* CLONE_NEWTIME is left out on purpose: offsets can only be set through
     * unshare (see timens.c). CLONE_CLEAR_SIGHAND: the server's handlers
     * must not run in the child. ENOSPC/EUSERS (namespace limits) are
     * reported as is for the caller to map to 429. */
    pid = nsd_raw_clone3_pidfd((cfg->ns_flags & ~(uint64_t)NSD_CLONE_NEWTIME) |
                                   CLONE_PIDFD | NSD_CLONE_CLEAR_SIGHAND,
                               &pidfd);
    if (pid == 0)
        nsd_sandbox_init(&ctx);        /* never returns */

    {
        int e = errno;
        close(sync_p[0]);
        close(err_p[1]);
        close(ctx.devnull);
        if (pid < 0) {
            close(sync_p[1]);
            close(err_p[0]);
            return fail(out, "clone3", e);
        }
    }

    map_step = write_maps(cfg, pid);
    if (map_step) {
        int e = errno;
        close(sync_p[1]);
        close(err_p[0]);
        nsd_reap_failed(pid, pidfd, 1);
        return fail(out, map_step, e);
    }
    /* Release the child. If this fails it sees EOF and exits. */
    n = write(sync_p[1], "G", 1);
    close(sync_p[1]);
    if (n != 1) {
        int e = n < 0 ? errno : EIO;
        close(err_p[0]);
        nsd_reap_failed(pid, pidfd, 1);
        return fail(out, "sync", e);
    }

    if (nsd_read_report(err_p[0], NSD_SETUP_TIMEOUT_MS, &rep) != 0) {
        close(err_p[0]);
        /* A child that reported is already on its way out (the init reaps
         * a failed command first); only a timed-out one needs a SIGKILL. */
        nsd_reap_failed(pid, pidfd, rep.step < 0);
        return fail(out, rep.step < 0 ? "wait for child" : nsd_step_name(rep.step), rep.err);
    }
    close(err_p[0]);
    out->pid = pid;
    out->pidfd = pidfd;
    return 0;
}
