/* exec_in.c — nsd_exec_in: run a command inside a running sandbox.
 *
 * Never in the server process (setns would move a server thread). A forked
 * helper joins the time namespace (from /proc/<init>/ns/time_for_children,
 * since the init itself stays in the host's), then every other namespace at
 * once through the init's pidfd. Joining the mount namespace also moves root
 * and cwd to the namespace's "/" — the sandbox's pivoted root.
 *
 * setns(CLONE_NEWPID) only applies to children, so the helper forks the
 * command, with CLONE_PARENT: the command becomes the *caller's* child. The
 * caller then waits for it (real exit status), and kills it directly on
 * timeout. A command left behind by a dying helper would instead be
 * re-parented to the host's init (re-parenting follows the dying parent's
 * pid namespace), i.e. a stray the server cannot account for.
 *
 * The helper reports the command's host pid on the error pipe, then exits;
 * the parent reaps it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsd_internal.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000ULL
#endif
#ifndef CLONE_PARENT
#define CLONE_PARENT 0x00008000ULL
#endif
#define NSD_CLONE_CLEAR_SIGHAND 0x100000000ULL
#define NSD_EXEC_SETUP_TIMEOUT_MS 30000
/* Report "step" meaning: err carries the command's host pid. */
#define NSD_MSG_PID (-2)

struct exec_ctx {
    const struct nsd_exec_config *cfg;
    int err_w;
    int devnull;
    int time_fd;               /* -1 unless the sandbox has a time ns */
    const char *cwd;
};

static __attribute__((noreturn)) void die(const struct exec_ctx *c, int step)
{
    nsd_report(c->err_w, step);
    _exit(127);
}

/* The command: already in every namespace, with the wanted ids. */
static __attribute__((noreturn)) void exec_command(const struct exec_ctx *c)
{
    const struct nsd_exec_config *cfg = c->cfg;

    if (nsd_setup_stdio(c->devnull, cfg->stdout_fd, cfg->stderr_fd) < 0)
        die(c, NSD_STEP_STDIO);
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        die(c, NSD_STEP_CLOSE_RANGE);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die(c, NSD_STEP_NO_NEW_PRIVS);
    nsd_reset_signals();
    execve(cfg->path, cfg->argv, cfg->envp);
    die(c, NSD_STEP_EXEC);
}

static __attribute__((noreturn)) void helper(const struct exec_ctx *c)
{
    const struct nsd_exec_config *cfg = c->cfg;
    int keep[6] = { c->err_w, c->devnull, c->time_fd, cfg->stdout_fd, cfg->stderr_fd, cfg->pidfd };
    uint64_t join = cfg->ns_flags & ~(uint64_t)NSD_CLONE_NEWTIME;
    struct nsd_report msg;
    pid_t cmd;

    nsd_close_all_except(keep, 6);
    /* Non-dumpable: sandbox root may not ptrace what was host root. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        die(c, NSD_STEP_DUMPABLE);
    /* Drop the server's supplementary groups while still host root: after
     * joining a user namespace whose setgroups is "deny" we could not. */
    if (nsd_raw_setgroups_none() < 0)
        die(c, NSD_STEP_SETGROUPS);
    if (c->time_fd >= 0 && nsd_raw_setns(c->time_fd, NSD_CLONE_NEWTIME) < 0)
        die(c, NSD_STEP_SETNS_TIME);
    if (join && nsd_raw_setns(cfg->pidfd, (int)join) < 0)
        die(c, NSD_STEP_SETNS);
    if (chdir(c->cwd) < 0)
        die(c, NSD_STEP_CHDIR);
    if (nsd_raw_setresgid(cfg->gid) < 0)
        die(c, NSD_STEP_SETRESGID);
    if (nsd_raw_setresuid(cfg->uid) < 0)
        die(c, NSD_STEP_SETRESUID);

    cmd = nsd_raw_clone(CLONE_PARENT);
    if (cmd < 0)
        die(c, NSD_STEP_FORK);
    if (cmd == 0)
        exec_command(c);
    /* We are outside the sandbox's pid ns: cmd is the host pid. */
    msg.step = NSD_MSG_PID;
    msg.err = cmd;
    while (write(c->err_w, &msg, sizeof msg) < 0 && errno == EINTR)
        ;
    _exit(0);
}

/* The sandbox's time namespace is the init's "for children" one. Opened in
 * the parent, where /proc is the host's; the pidfd check afterwards proves
 * the pid was not recycled in between. */
static int open_time_ns(const struct nsd_exec_config *cfg)
{
    char path[64];
    int fd;

    snprintf(path, sizeof path, "/proc/%d/ns/time_for_children", (int)cfg->pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (nsd_pidfd_send_signal(cfg->pidfd, 0) < 0) {
        nsd_close_quietly(fd);
        return -1;
    }
    return fd;
}

static int fail(struct nsd_exec_result *out, const char *step, int err)
{
    out->step = step;
    out->err = err;
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
static const char *collect(int fd, pid_t helper_pid, int helper_pidfd, pid_t *cmd, int *err)
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
        }
        if (rep.step < 0) {           /* timeout or broken pipe: stop everything */
            nsd_pidfd_send_signal(helper_pidfd, SIGKILL);
            if (*cmd > 0)
                kill(*cmd, SIGKILL);  /* our unreaped child: pid cannot be reused */
            break;
        }
    }
    reap(helper_pid);
    if (!step && *cmd < 0) {          /* helper vanished without a word */
        step = "fork";
        *err = ECHILD;
    }
    return step;
}

int nsd_exec_in(const struct nsd_exec_config *cfg, struct nsd_exec_result *out)
{
    struct exec_ctx c;
    int err_p[2];
    int hpidfd = -1, e = 0;
    pid_t hpid, cmd;
    const char *step;

    memset(out, 0, sizeof *out);
    out->pid = -1;
    out->pidfd = -1;
    if (!cfg->path || !cfg->argv || !cfg->envp || cfg->pidfd < 0 ||
        cfg->stdout_fd < 0 || cfg->stderr_fd < 0 || (cfg->ns_flags & ~NSD_ALL_NS))
        return fail(out, "config", EINVAL);

    memset(&c, 0, sizeof c);
    c.cfg = cfg;
    c.cwd = cfg->cwd ? cfg->cwd : "/";
    c.time_fd = -1;
    if (cfg->ns_flags & NSD_CLONE_NEWTIME) {
        c.time_fd = open_time_ns(cfg);
        if (c.time_fd < 0)
            return fail(out, "open time_for_children", errno);
    }
    c.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (c.devnull < 0) {
        e = errno;
        nsd_close_quietly(c.time_fd);
        return fail(out, "open /dev/null", e);
    }
    if (pipe2(err_p, O_CLOEXEC) < 0) {
        e = errno;
        nsd_close_quietly(c.time_fd);
        close(c.devnull);
        return fail(out, "pipe", e);
    }
    c.err_w = err_p[1];

    hpid = nsd_raw_clone3_pidfd(CLONE_PIDFD | NSD_CLONE_CLEAR_SIGHAND, &hpidfd);
    if (hpid == 0)
        helper(&c);                  /* never returns */
    e = errno;
    close(err_p[1]);
    close(c.devnull);
    nsd_close_quietly(c.time_fd);
    if (hpid < 0) {
        close(err_p[0]);
        return fail(out, "clone3", e);
    }

    step = collect(err_p[0], hpid, hpidfd, &cmd, &e);
    close(err_p[0]);
    close(hpidfd);
    if (step) {
        if (cmd > 0)
            reap(cmd);               /* it exits 127 after reporting */
        return fail(out, step, e);
    }
    /* The command is our unreaped child, so its pid is stable here. */
    out->pidfd = nsd_pidfd_open(cmd);
    if (out->pidfd < 0) {
        e = errno;
        kill(cmd, SIGKILL);
        reap(cmd);
        return fail(out, "pidfd_open", e);
    }
    out->pid = cmd;
    return 0;
}
