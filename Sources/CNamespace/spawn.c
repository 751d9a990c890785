/* spawn.c — nsd_spawn, the server side: validate, hand the configuration to
 * the spawner (spawner.c, Sources/nsd-init), which clones the sandbox init
 * out of its own small address space as our child, then wait until the
 * command has really been exec'd (EOF on the CLOEXEC error pipe) or a step
 * failed. Nothing here clones: the server's memory is never copied. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

/* How long we wait for the child's setup and exec. */
#define NSD_SETUP_TIMEOUT_MS 30000

static int fail(struct nsd_spawn_result *out, const char *step, int err, int index)
{
    out->step = step;
    out->err = err;
    out->index = index;
    return -1;
}

static int joins(const struct nsd_spawn_config *cfg, uint64_t type)
{
    for (uint32_t i = 0; i < cfg->njoins && i < NSD_MAX_JOINS; i++)
        if (cfg->join_types[i] == type)
            return 1;
    return 0;
}

/* Options that need a namespace that was not asked for are caller bugs. */
static int valid(const struct nsd_spawn_config *cfg)
{
    uint64_t f = cfg->ns_flags;
    if (!cfg->path || !cfg->argv || !cfg->envp || (f & ~NSD_ALL_NS))
        return 0;
    if ((cfg->rootfs || cfg->readonly_rootfs) && !(f & NSD_CLONE_NEWNS))
        return 0;
    if (cfg->mount_proc &&
        (!(f & NSD_CLONE_NEWNS) || !((f & NSD_CLONE_NEWPID) || joins(cfg, NSD_CLONE_NEWPID))))
        return 0;
    if ((cfg->hostname || cfg->domainname) && !(f & NSD_CLONE_NEWUTS))
        return 0;
    if ((cfg->uid_map || cfg->gid_map || cfg->setgroups_deny) && !(f & NSD_CLONE_NEWUSER))
        return 0;
    if ((cfg->time_offset_monotonic || cfg->time_offset_boottime) && !(f & NSD_CLONE_NEWTIME))
        return 0;
    if ((cfg->view.enabled || cfg->view.nmounts) && !(f & NSD_CLONE_NEWNS))
        return 0;
    if (cfg->view.mqueue && !(f & NSD_CLONE_NEWIPC))
        return 0;
    if (cfg->view.nmounts && !cfg->view.mounts)
        return 0;
    if (cfg->stdout_fd < 0 || cfg->stderr_fd < 0 || cfg->njoins > NSD_MAX_JOINS)
        return 0;
    if ((cfg->cgroup.has_dir && cfg->cgroup.dir_fd < 0) || cfg->cgroup.nprocs > NSD_MAX_CGROUP_PROCS)
        return 0;
    for (uint32_t i = 0; i < cfg->cgroup.nprocs; i++)
        if (cfg->cgroup.procs_fds[i] < 0)
            return 0;
    for (uint32_t i = 0; i < cfg->njoins; i++) {
        uint64_t type = cfg->join_types[i];
        /* One bit, a known type, not also created, joined once. */
        if (!type || (type & (type - 1)) || !(type & NSD_ALL_NS) || (type & f) || cfg->join_fds[i] < 0)
            return 0;
        f |= type;
    }
    return 1;
}

int nsd_spawn_begin(const struct nsd_spawn_config *cfg, struct nsd_spawn_result *out)
{
    struct nsd_wire_reply rep;
    struct nsd_wire_buf body = { 0 };
    int fds[NSD_WIRE_MAX_FDS], nfds = 2, rfds[2], nr = 0, err = 0;
    const char *step = "spawn";

    memset(out, 0, sizeof *out);
    out->pid = -1;
    out->pidfd = -1;
    out->setup_fd = -1;
    out->index = -1;
    if (!valid(cfg))
        return fail(out, "config", EINVAL, -1);
    if (nsd_wire_encode_spawn(cfg, &body) < 0) {
        int e = body.failed;
        nsd_wire_buf_free(&body);
        return fail(out, "config", e, -1);
    }
    fds[0] = cfg->stdout_fd;
    fds[1] = cfg->stderr_fd;
    if (cfg->exit_record_fd >= 0)
        fds[nfds++] = cfg->exit_record_fd;
    nfds += nsd_wire_cgroup_fds(&cfg->cgroup, fds + nfds);
    for (uint32_t i = 0; i < cfg->njoins; i++)
        fds[nfds++] = cfg->join_fds[i];

    if (nsd_spawner_call(NSD_WIRE_SPAWN, &body, fds, nfds, &rep, rfds, &nr, &step, &err) < 0) {
        nsd_wire_buf_free(&body);
        return fail(out, step, err, -1);
    }
    nsd_wire_buf_free(&body);
    if (rep.status != 0) {
        /* Failed after its clone3 (maps): the init is our child, reap it. */
        nsd_discard_reply(&rep, rfds, nr);
        return fail(out, nsd_step_name(rep.step), rep.err, rep.index);
    }
    if (nr != 2 || rep.pid <= 0) {
        nsd_discard_reply(&rep, rfds, nr);
        return fail(out, "nsd-init reply", EPROTO, -1);
    }
    out->pid = rep.pid;
    out->pidfd = rfds[0];
    out->setup_fd = rfds[1];
    return 0;
}

/* One report from the init; the inodes message is taken in here. 0: EOF
 * (the command was exec'd), 1: the inodes arrived, -1: a failure in *r. */
static int next_report(struct nsd_spawn_result *out, struct nsd_report *r)
{
    if (nsd_read_report(out->setup_fd, NSD_SETUP_TIMEOUT_MS, r) == 0)
        return 0;
    if (r->step != NSD_MSG_INODES)
        return -1;
    {
        struct nsd_inodes_report full;
        size_t rest = sizeof full - sizeof full.head;
        ssize_t n;
        /* Written at once with its head: already in the pipe. */
        do {
            n = read(out->setup_fd, (char *)&full + sizeof full.head, rest);
        } while (n < 0 && errno == EINTR);
        if (n != (ssize_t)rest) {
            r->step = -1;
            r->err = n < 0 ? errno : EPROTO;
            return -1;
        }
        memcpy(out->inodes, full.inode, sizeof out->inodes);
        out->have_inodes = 1;
    }
    return 1;
}

static int fail_setup(struct nsd_spawn_result *out, const struct nsd_report *r)
{
    close(out->setup_fd);
    out->setup_fd = -1;
    /* A child that reported is already on its way out (the init reaps a
     * failed command first); only a timed-out one needs a SIGKILL. */
    nsd_reap_failed(out->pid, out->pidfd, r->step < 0);
    out->pid = -1;
    out->pidfd = -1;
    return fail(out, r->step < 0 ? "wait for child" : nsd_step_name(r->step), r->err, r->index);
}

int nsd_spawn_inodes(struct nsd_spawn_result *out)
{
    struct nsd_report r;
    int rc;

    if (out->have_inodes)
        return 0;
    rc = next_report(out, &r);
    if (rc == 1)
        return 0;
    if (rc == 0) {
        /* EOF before the inodes: the init died without a word. */
        r.step = -1;
        r.err = EPROTO;
        r.index = -1;
    }
    return fail_setup(out, &r);
}

int nsd_spawn_finish(struct nsd_spawn_result *out)
{
    struct nsd_report r;
    int rc;

    while ((rc = next_report(out, &r)) == 1)
        ;
    if (rc < 0)
        return fail_setup(out, &r);
    close(out->setup_fd);
    out->setup_fd = -1;
    return 0;
}

int nsd_spawn(const struct nsd_spawn_config *cfg, struct nsd_spawn_result *out)
{
    if (nsd_spawn_begin(cfg, out) < 0)
        return -1;
    return nsd_spawn_finish(out);
}
