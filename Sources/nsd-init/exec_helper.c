/* exec_helper.c — what the spawner's clone3 child runs for an exec: join the
 * sandbox, fork the command into it, report the command's host pid, exit.
 *
 * The helper is the server's child (CLONE_PARENT from the spawner). It joins
 * the time namespace (from /proc/<init>/ns/time_for_children, since the init
 * itself stays in the host's), then every other namespace at once through
 * the init's pidfd. Joining the mount namespace also moves root and cwd to
 * the namespace's "/" — the sandbox's pivoted root.
 *
 * setns(CLONE_NEWPID) only applies to children, so the helper forks the
 * command, with CLONE_PARENT again: the command becomes the *server's*
 * child. The server then waits for it (real exit status), and kills it
 * directly on timeout. A command left behind by a dying helper would instead
 * be re-parented to the host's init (re-parenting follows the dying parent's
 * pid namespace), i.e. a stray the server cannot account for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "init.h"

static __attribute__((noreturn)) void die(const struct nsd_exec_ctx *c, int step)
{
    nsd_report(c->err_w, step, -1);
    _exit(127);
}

/* The command: already in every namespace; it takes the wanted ids and the
 * sandbox's own confinement, exactly as the sandbox's command did. */
static __attribute__((noreturn)) void exec_command(const struct nsd_exec_ctx *c)
{
    const struct nsd_exec_config *cfg = c->cfg;
    int step;

    if (nsd_setup_stdio(c->devnull, cfg->stdout_fd, cfg->stderr_fd) < 0)
        die(c, NSD_STEP_STDIO);
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        die(c, NSD_STEP_CLOSE_RANGE);
    if (nsd_confine(&cfg->confinement, cfg->uid, cfg->gid, 1, &step) < 0)
        die(c, step);
    nsd_unblock_signals();
    execve(cfg->path, cfg->argv, cfg->envp);
    die(c, NSD_STEP_EXEC);
}

void nsd_exec_helper(const struct nsd_exec_ctx *c)
{
    const struct nsd_exec_config *cfg = c->cfg;
    int keep[6 + 1 + NSD_MAX_CGROUP_PROCS] = { c->err_w,       c->devnull,     c->time_fd,
                                               cfg->stdout_fd, cfg->stderr_fd, cfg->pidfd };
    uint64_t join = cfg->ns_flags & ~(uint64_t)NSD_CLONE_NEWTIME;
    struct nsd_report msg;
    pid_t cmd;

    nsd_close_all_except(keep, nsd_cgroup_keep(&cfg->cgroup, keep, 6));
    if (nsd_join_cgroups(&cfg->cgroup) < 0)
        die(c, NSD_STEP_JOIN_CGROUP);
    (void)prctl(PR_SET_NAME, "nsd-exec", 0, 0, 0);
    /* Non-dumpable: sandbox root may not ptrace what was host root. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        die(c, NSD_STEP_DUMPABLE);
    /* Drop supplementary groups while still host root: after joining a
     * user namespace whose setgroups is "deny" we could not. */
    if (nsd_drop_groups() < 0)
        die(c, NSD_STEP_SETGROUPS);
    if (c->time_fd >= 0 && nsd_raw_setns(c->time_fd, NSD_CLONE_NEWTIME) < 0)
        die(c, NSD_STEP_SETNS_TIME);
    if (join && nsd_raw_setns(cfg->pidfd, (int)join) < 0)
        die(c, NSD_STEP_SETNS);
    if (chdir(c->cwd) < 0)
        die(c, NSD_STEP_CHDIR);

    cmd = nsd_raw_clone(CLONE_PARENT);
    if (cmd < 0)
        die(c, NSD_STEP_FORK);
    if (cmd == 0)
        exec_command(c);
    /* We are outside the sandbox's pid ns: cmd is the host pid. */
    msg.step = NSD_MSG_PID;
    msg.err = cmd;
    msg.index = -1;
    while (write(c->err_w, &msg, sizeof msg) < 0 && errno == EINTR)
        ;
    _exit(0);
}
