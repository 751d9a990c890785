/* requests.c — the spawner's side of one request: clone3 the sandbox init
 * (or the exec helper) out of this small process, with CLONE_PARENT so that
 * it is the server's child, write the user-namespace maps, and hand the
 * server the child's pidfd and the read end of its error pipe.
 *
 * The server waits for the error pipe's EOF (the command exec'd) itself, so
 * the spawner is free for the next request after a clone3 and a few writes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

_Static_assert(NSD_CLONE_NEWNS == CLONE_NEWNS && NSD_CLONE_NEWPID == CLONE_NEWPID &&
                   NSD_CLONE_NEWUSER == CLONE_NEWUSER && NSD_CLONE_NEWNET == CLONE_NEWNET &&
                   NSD_CLONE_NEWUTS == CLONE_NEWUTS && NSD_CLONE_NEWIPC == CLONE_NEWIPC &&
                   NSD_CLONE_NEWCGROUP == CLONE_NEWCGROUP && NSD_CLONE_NEWTIME == CLONE_NEWTIME,
               "NSD_CLONE_* must match the kernel's CLONE_NEW*");

static void close_quietly(int fd)
{
    if (fd >= 0)
        close(fd);
}

int nsd_send_reply(int sock, int status, int step, int err, int index, pid_t pid, const int *fds,
                   int nfds)
{
    struct nsd_wire_reply rep = {
        .status = status, .step = step, .err = err, .index = index, .pid = pid
    };

    return nsd_send_with_fds(sock, &rep, sizeof rep, fds, nfds) == (ssize_t)sizeof rep ? 0 : -1;
}

int nsd_write_proc_file(pid_t pid, const char *name, const char *data)
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

/* Our half of the user-namespace handshake; returns the failed step or -1. */
static int write_maps(const struct nsd_spawn_config *cfg, pid_t pid)
{
    if (cfg->setgroups_deny && nsd_write_proc_file(pid, "setgroups", "deny") < 0)
        return NSD_STEP_SETGROUPS;
    if (cfg->uid_map && nsd_write_proc_file(pid, "uid_map", cfg->uid_map) < 0)
        return NSD_STEP_UID_MAP;
    if (cfg->gid_map && nsd_write_proc_file(pid, "gid_map", cfg->gid_map) < 0)
        return NSD_STEP_GID_MAP;
    return -1;
}

/* Our own pid namespace, to come back to after entering a joined one. */
static int own_pid_ns = -1;

static int enter_pid(const struct nsd_spawn_config *cfg)
{
    int fd = nsd_join_fd(cfg, NSD_CLONE_NEWPID);

    if (fd < 0)
        return 0;
    if (own_pid_ns < 0 && (own_pid_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    return nsd_raw_setns(fd, NSD_CLONE_NEWPID);
}

/* Always possible: our own pid namespace is the one we are a member of. */
static void leave_pid(const struct nsd_spawn_config *cfg)
{
    if (nsd_join_fd(cfg, NSD_CLONE_NEWPID) >= 0)
        (void)nsd_raw_setns(own_pid_ns, NSD_CLONE_NEWPID);
}

int nsd_handle_spawn(int sock, int devnull, const struct nsd_spawn_config *cfg)
{
    struct nsd_init_ctx ctx;
    int sync_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
    int userns = (cfg->ns_flags & NSD_CLONE_NEWUSER) != 0;
    int pidfd = -1, step, rc;
    pid_t pid;

    /* Everything the child reads is computed here. */
    memset(&ctx, 0, sizeof ctx);
    ctx.cfg = cfg;
    ctx.devnull = devnull;
    ctx.cwd = cfg->cwd ? cfg->cwd : "/";
    ctx.hostname_len = cfg->hostname ? strlen(cfg->hostname) : 0;
    ctx.domainname_len = cfg->domainname ? strlen(cfg->domainname) : 0;
    rc = snprintf(ctx.timens_offsets, sizeof ctx.timens_offsets, "monotonic %lld 0\nboottime %lld 0\n",
                  (long long)cfg->time_offset_monotonic, (long long)cfg->time_offset_boottime);
    ctx.timens_offsets_len = (size_t)rc;

    /* Without a user namespace there are no maps to wait for. */
    if ((userns && pipe2(sync_p, O_CLOEXEC) < 0) || pipe2(err_p, O_CLOEXEC) < 0) {
        int e = errno;
        close_quietly(sync_p[0]);
        close_quietly(sync_p[1]);
        return nsd_send_reply(sock, -1, NSD_STEP_PIPE, e, -1, 0, 0, 0);
    }
    ctx.sync_r = sync_p[0];
    ctx.err_w = err_p[1];

    /* A joined pid namespace is entered here, for our next child only: the
     * init is then a member (not its pid 1), and its /proc shows it. */
    if (enter_pid(cfg) < 0) {
        int e = errno;
        close_quietly(sync_p[0]);
        close_quietly(sync_p[1]);
        close(err_p[0]);
        close(err_p[1]);
        return nsd_send_reply(sock, -1, NSD_STEP_SETNS_PID, e, -1, 0, 0, 0);
    }
    /* CLONE_NEWTIME is left out on purpose: offsets can only be set through
     * unshare (see timens.c). So is CLONE_NEWCGROUP with a cgroup: a cgroup
     * namespace's root is where its creator is, and the kernel makes it
     * before it places the child, so the init unshares it once it is in its
     * cgroups (sandbox_init.c). CLONE_PARENT: the init is the server's
     * child, which waits for it and reaps it. ENOSPC/EUSERS (namespace
     * limits) are reported as is for the server to map to 429. */
    {
        uint64_t later = NSD_CLONE_NEWTIME | (nsd_cgroup_used(&cfg->cgroup) ? NSD_CLONE_NEWCGROUP : 0);
        pid = nsd_raw_clone3_pidfd((cfg->ns_flags & ~later) | CLONE_PIDFD | CLONE_PARENT |
                                       NSD_CLONE_CLEAR_SIGHAND,
                                   &pidfd, cfg->cgroup.has_dir ? cfg->cgroup.dir_fd : -1);
    }
    if (pid == 0)
        nsd_sandbox_init(&ctx); /* never returns */

    {
        int e = errno;
        leave_pid(cfg);
        close_quietly(sync_p[0]);
        close(err_p[1]);
        if (pid < 0) {
            close_quietly(sync_p[1]);
            close(err_p[0]);
            return nsd_send_reply(sock, -1, NSD_STEP_CLONE3, e, -1, 0, 0, 0);
        }
    }

    step = -1;
    if (userns) {
        step = write_maps(cfg, pid);
        /* Release the child. If this fails it sees EOF and exits. */
        if (step < 0 && write(sync_p[1], "G", 1) != 1)
            step = NSD_STEP_SYNC;
        close(sync_p[1]);
    }
    if (step >= 0) {
        /* The server kills and reaps it: it is the server's child. */
        int e = errno;
        close(err_p[0]);
        rc = nsd_send_reply(sock, -1, step, e, -1, pid, &pidfd, 1);
        close(pidfd);
        return rc;
    }
    {
        int out[2] = { pidfd, err_p[0] };
        rc = nsd_send_reply(sock, 0, 0, 0, -1, pid, out, 2);
    }
    close(pidfd);
    close(err_p[0]);
    return rc;
}

/* The sandbox's time namespace is the init's "for children" one. The pidfd
 * check afterwards proves the pid was not recycled in between. */
static int open_time_ns(const struct nsd_exec_config *cfg)
{
    char path[64];
    int fd;

    snprintf(path, sizeof path, "/proc/%d/ns/time_for_children", (int)cfg->pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (syscall(SYS_pidfd_send_signal, cfg->pidfd, 0, 0, 0) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int nsd_handle_exec(int sock, int devnull, const struct nsd_exec_config *cfg)
{
    struct nsd_exec_ctx c;
    int err_p[2];
    int hpidfd = -1, rc;
    pid_t hpid;

    memset(&c, 0, sizeof c);
    c.cfg = cfg;
    c.devnull = devnull;
    c.cwd = cfg->cwd ? cfg->cwd : "/";
    c.time_fd = -1;
    if (cfg->ns_flags & NSD_CLONE_NEWTIME) {
        c.time_fd = open_time_ns(cfg);
        if (c.time_fd < 0)
            return nsd_send_reply(sock, -1, NSD_STEP_OPEN_TIME, errno, -1, 0, 0, 0);
    }
    if (pipe2(err_p, O_CLOEXEC) < 0) {
        int e = errno;
        close_quietly(c.time_fd);
        return nsd_send_reply(sock, -1, NSD_STEP_PIPE, e, -1, 0, 0, 0);
    }
    c.err_w = err_p[1];

    /* Into the sandbox's cgroups: an exec counts against its limits and
     * dies with it. */
    hpid = nsd_raw_clone3_pidfd(CLONE_PIDFD | CLONE_PARENT | NSD_CLONE_CLEAR_SIGHAND, &hpidfd,
                                cfg->cgroup.has_dir ? cfg->cgroup.dir_fd : -1);
    if (hpid == 0)
        nsd_exec_helper(&c); /* never returns */
    {
        int e = errno;
        close(err_p[1]);
        close_quietly(c.time_fd);
        if (hpid < 0) {
            close(err_p[0]);
            return nsd_send_reply(sock, -1, NSD_STEP_CLONE3, e, -1, 0, 0, 0);
        }
    }
    {
        int out[2] = { hpidfd, err_p[0] };
        rc = nsd_send_reply(sock, 0, 0, 0, -1, hpid, out, 2);
    }
    close(hpidfd);
    close(err_p[0]);
    return rc;
}
