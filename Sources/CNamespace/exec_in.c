/* exec_in.c — nsd_exec_in: run a command inside a running sandbox.
 *
 * Never in the server process (setns would move a server thread), and never
 * forked from it either (that would copy its address space): the spawner
 * (Sources/nsd-init) clones a helper that joins the sandbox and forks the
 * command with CLONE_PARENT, so the command is *our* child (see
 * exec_helper.c there). We then wait for it (real exit status), and kill it
 * directly on timeout.
 *
 * The helper reports the command's host pid on the error pipe, then exits;
 * it is our child too, and we reap it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

#define NSD_EXEC_SETUP_TIMEOUT_MS 30000

static int fail(struct nsd_exec_result *out, const char *step, int err, int index)
{
    out->step = step;
    out->err = err;
    out->index = index;
    return -1;
}

static void reap(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
        ;
}

/* Collect the helper's pid message and any failure until EOF (helper exited
 * and the command exec'd or died). Returns the failed step or NULL. */
static const char *collect(int fd, pid_t helper_pid, int helper_pidfd, pid_t *cmd, int *err, int *index)
{
    struct nsd_report rep;
    const char *step = 0;

    *cmd = -1;
    for (;;) {
        if (nsd_read_report(fd, NSD_EXEC_SETUP_TIMEOUT_MS, &rep) == 0)
            break;
        if (rep.step == NSD_MSG_PID) {
            *cmd = rep.err;
            continue;
        }
        if (!step) {
            step = rep.step < 0 ? "wait for child" : nsd_step_name(rep.step);
            *err = rep.err;
            *index = rep.index;
        }
        if (rep.step < 0) { /* timeout or broken pipe: stop everything */
            nsd_pidfd_send_signal(helper_pidfd, SIGKILL);
            if (*cmd > 0)
                kill(*cmd, SIGKILL); /* our unreaped child: pid cannot be reused */
            break;
        }
    }
    reap(helper_pid);
    if (!step && *cmd < 0) { /* helper vanished without a word */
        step = "fork";
        *err = ECHILD;
    }
    return step;
}

int nsd_exec_in(const struct nsd_exec_config *cfg, struct nsd_exec_result *out)
{
    struct nsd_wire_reply rep;
    struct nsd_wire_buf body = { 0 };
    int fds[NSD_WIRE_MAX_FDS], nfds = 3, rfds[2], nr = 0, e = 0, index = -1;
    int hpidfd, err_r;
    pid_t hpid, cmd;
    const char *step = "exec";

    memset(out, 0, sizeof *out);
    out->pid = -1;
    out->pidfd = -1;
    out->index = -1;
    if (!cfg->path || !cfg->argv || !cfg->envp || cfg->pidfd < 0 || cfg->stdout_fd < 0 ||
        cfg->stderr_fd < 0 || (cfg->ns_flags & ~NSD_ALL_NS) || cfg->cgroup.nprocs > NSD_MAX_CGROUP_PROCS)
        return fail(out, "config", EINVAL, -1);
    if (nsd_wire_encode_exec(cfg, &body) < 0) {
        e = body.failed;
        nsd_wire_buf_free(&body);
        return fail(out, "config", e, -1);
    }
    fds[0] = cfg->pidfd;
    fds[1] = cfg->stdout_fd;
    fds[2] = cfg->stderr_fd;
    nfds += nsd_wire_cgroup_fds(&cfg->cgroup, fds + nfds);
    if (nsd_spawner_call(NSD_WIRE_EXEC, &body, fds, nfds, &rep, rfds, &nr, &step, &e) < 0) {
        nsd_wire_buf_free(&body);
        return fail(out, step, e, -1);
    }
    nsd_wire_buf_free(&body);
    if (rep.status != 0 || nr != 2 || rep.pid <= 0) {
        /* Nothing was cloned when it reports a failure. */
        for (int i = 0; i < nr; i++)
            close(rfds[i]);
        if (rep.status != 0)
            return fail(out, nsd_step_name(rep.step), rep.err, rep.index);
        return fail(out, "nsd-init reply", EPROTO, -1);
    }
    hpid = rep.pid;
    hpidfd = rfds[0];
    err_r = rfds[1];

    step = collect(err_r, hpid, hpidfd, &cmd, &e, &index);
    close(err_r);
    close(hpidfd);
    if (step) {
        if (cmd > 0)
            reap(cmd); /* it exits 127 after reporting */
        return fail(out, step, e, index);
    }
    /* The command is our unreaped child, so its pid is stable here. */
    out->pidfd = nsd_pidfd_open(cmd);
    if (out->pidfd < 0) {
        e = errno;
        kill(cmd, SIGKILL);
        reap(cmd);
        return fail(out, "pidfd_open", e, -1);
    }
    out->pid = cmd;
    return 0;
}
