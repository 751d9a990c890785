/* sandbox_init.c — what the spawner's clone3 child runs: set the sandbox
 * up, fork the command, then stay as the sandbox's init (pid 1 with
 * CLONE_NEWPID). It is the server's child (CLONE_PARENT), a copy of the
 * small spawner, and its command line already reads "nsd-init".
 *
 * Only async-signal-safe calls and raw syscalls from here on (see init.h).
 * Every failure is reported as (step, errno, index) on the CLOEXEC error pipe,
 * then _exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "init.h"

static __attribute__((noreturn)) void die_at(const struct nsd_init_ctx *ctx, int step, int index)
{
    nsd_report(ctx->err_w, step, index);
    _exit(127);
}

static __attribute__((noreturn)) void die(const struct nsd_init_ctx *ctx, int step)
{
    die_at(ctx, step, -1);
}

/* Runs in the command process: forked by the init, replaced by execve. */
static __attribute__((noreturn)) void exec_command(const struct nsd_init_ctx *ctx)
{
    const struct nsd_spawn_config *cfg = ctx->cfg;
    int step;

    if (nsd_setup_stdio(ctx->devnull, ctx->command_stdout, ctx->command_stderr) < 0)
        die(ctx, NSD_STEP_STDIO);
    /* Mark everything but 0..2 close-on-exec: the error pipe must survive
     * until execve (its EOF tells the server the exec worked), the rest
     * (exit record, the spawner's fds) must never reach the command. */
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        die(ctx, NSD_STEP_CLOSE_RANGE);
    /* Without a user namespace the init stays host root for the setup; the
     * command drops to the wanted ids here. (With one, the init already did.) */
    if (nsd_confine(&cfg->confinement, cfg->uid, cfg->gid,
                    !(cfg->ns_flags & NSD_CLONE_NEWUSER) && nsd_join_fd(cfg, NSD_CLONE_NEWUSER) < 0,
                    &step) < 0)
        die(ctx, step);
    nsd_unblock_signals();
    execve(cfg->path, cfg->argv, cfg->envp);
    die(ctx, NSD_STEP_EXEC);
}

/* In the sandbox's cgroups (v1 ones by our own write; the cgroup2 one by
 * the clone), then its cgroup namespace rooted there: before the inodes of
 * our namespaces are reported. */
static void enter_cgroups(const struct nsd_init_ctx *ctx)
{
    const struct nsd_spawn_config *cfg = ctx->cfg;

    if (!nsd_cgroup_used(&cfg->cgroup))
        return;
    if (nsd_join_cgroups(&cfg->cgroup) < 0)
        die(ctx, NSD_STEP_JOIN_CGROUP);
    if ((cfg->ns_flags & NSD_CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
        die(ctx, NSD_STEP_UNSHARE_CGROUP);
}

/* With a log cap the command writes into pipes and the init copies (see
 * supervise.c): a sandbox cannot fill the state directory's disk. */
static void prepare_logs(struct nsd_init_ctx *ctx, struct nsd_log_relay *relay)
{
    const struct nsd_spawn_config *cfg = ctx->cfg;
    int out[2], err[2];
    sigset_t fwd;

    ctx->command_stdout = cfg->stdout_fd;
    ctx->command_stderr = cfg->stderr_fd;
    if (cfg->log_bytes == 0)
        return;
    nsd_forward_sigset(&fwd);
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
        die(ctx, NSD_STEP_PIPE);
    relay->signals = signalfd(-1, &fwd, SFD_CLOEXEC);
    if (relay->signals < 0)
        die(ctx, NSD_STEP_PIPE);
    relay->pipes[0] = out[0];
    relay->pipes[1] = err[0];
    relay->files[0] = cfg->stdout_fd;
    relay->files[1] = cfg->stderr_fd;
    relay->cap = cfg->log_bytes;
    ctx->command_stdout = out[1];
    ctx->command_stderr = err[1];
}

/* An fd the init keeps, moved off 0..2 (which turn into /dev/null). */
static int off_stdio(int fd) { return fd >= 0 && fd < 3 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd; }

static int command_main(void *ctx) { exec_command(ctx); }

/* Identity inside a user namespace, right after the spawner wrote the maps.
 * Moving from the (unmapped) host root to mapped ids keeps our capabilities
 * in the new namespace: the kernel only drops them when leaving *its* root. */
static void become_inside_user(const struct nsd_init_ctx *ctx)
{
    const struct nsd_spawn_config *cfg = ctx->cfg;

    if (!(cfg->ns_flags & NSD_CLONE_NEWUSER))
        return;
    if (nsd_raw_setresgid(cfg->gid) < 0)
        die(ctx, NSD_STEP_SETRESGID);
    if (nsd_raw_setresuid(cfg->uid) < 0)
        die(ctx, NSD_STEP_SETRESUID);
    /* The id change made us non-dumpable, which hands /proc/self's files to
     * the host's root: we could not write timens_offsets any more.
     * Dumpable is cleared again before the command is forked. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
        die(ctx, NSD_STEP_DUMPABLE);
}

void nsd_sandbox_init(const struct nsd_init_ctx *ctx)
{
    const struct nsd_spawn_config *cfg = ctx->cfg;
    int keep[6 + 1 + NSD_MAX_CGROUP_PROCS + NSD_MAX_JOINS] = { ctx->sync_r,    ctx->err_w,
                                                               ctx->devnull,   cfg->stdout_fd,
                                                               cfg->stderr_fd, cfg->exit_record_fd };
    int nkeep;
    sigset_t fwd;
    char go;
    ssize_t n;
    int step, index = -1;
    struct nsd_host_clones clones;
    struct nsd_init_ctx own = *ctx;
    struct nsd_log_relay relay = { .pipes = { -1, -1 }, .files = { -1, -1 }, .signals = -1 };
    pid_t cmd;

    /* 1. Drop every fd of the spawner (its socket to the server) at once:
     *    the init lives as long as the sandbox. Then into the cgroups. */
    nkeep = nsd_cgroup_keep(&cfg->cgroup, keep, 6);
    for (uint32_t i = 0; i < cfg->njoins && i < NSD_MAX_JOINS; i++)
        keep[nkeep++] = cfg->join_fds[i];
    nsd_close_all_except(keep, nkeep);
    enter_cgroups(ctx);
    (void)prctl(PR_SET_NAME, "nsd-init", 0, 0, 0);

    /* 2. Signals to forward stay blocked from now on: one sent during setup
     *    is queued and forwarded once the command runs. (Dispositions are
     *    already the defaults: the spawner's, see nsd_default_dispositions.) */
    nsd_forward_sigset(&fwd);
    sigprocmask(SIG_SETMASK, &fwd, 0);

    /* 3. With a user namespace, wait until the spawner wrote our uid/gid
     *    maps (EOF: it gave up). */
    if (ctx->sync_r >= 0) {
        do {
            n = read(ctx->sync_r, &go, 1);
        } while (n < 0 && errno == EINTR);
        if (n != 1)
            _exit(127);
        close(ctx->sync_r);
    }

    /* 4. The joined namespaces (see join.c for the order), then
     *    supplementary groups: drop the server's. With the host's ids still:
     *    the time namespace (its offsets are written through /proc, which
     *    turns read-only next) and the root of the sandbox's filesystem. */
    if (nsd_join_namespaces(ctx, &step, &index) < 0)
        die_at(ctx, step, index);
    if (nsd_drop_groups() < 0)
        die(ctx, NSD_STEP_SETGROUPS);
    if (nsd_setup_timens(ctx, &step) < 0)
        die(ctx, step);
    /* Every namespace exists now (the time one since the line above), and
     * /proc is still the host's: tell the server their inodes while we
     * surely hold them. A command that ends at once takes them along. */
    nsd_report_inodes(ctx->err_w, (cfg->ns_flags & NSD_CLONE_NEWTIME) != 0);
    if (nsd_prepare_root(ctx, &clones, &step, &index) < 0)
        die_at(ctx, step, index);
    become_inside_user(ctx);

    /* 5. Namespaces, in dependency order. */
    if (nsd_setup_mounts(ctx, &clones, &step, &index) < 0 || nsd_setup_uts_net(ctx, &step) < 0)
        die_at(ctx, step, index);
    if (nsd_join_user(ctx, &step) < 0)
        die(ctx, step);
    for (uint32_t i = 0; i < cfg->njoins; i++)
        close(cfg->join_fds[i]);
    if (chdir(ctx->cwd) < 0)
        die(ctx, NSD_STEP_CHDIR);

    /* 6. Init duties. Without a pid namespace we are not pid 1, so ask to
     *    inherit orphans anyway. Non-dumpable: nobody in the sandbox may
     *    ptrace or read the memory of the process that holds the record fd. */
    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        die(ctx, NSD_STEP_SUBREAPER);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        die(ctx, NSD_STEP_DUMPABLE);

    prepare_logs(&own, &relay);
    cmd = nsd_vfork_run(command_main, (void *)&own);
    if (cmd < 0)
        die(ctx, NSD_STEP_FORK);

    /* 7. Keep only the exit record (and with a log cap, the logs and the
     *    relay's read ends); stdio to /dev/null so the init holds no pipe or
     *    log file of the caller open (its 0..2 were the server's, through
     *    the spawner). */
    {
        int keep_fds[6];
        int rec = off_stdio(cfg->exit_record_fd);
        keep_fds[0] = rec;
        for (int i = 0; i < 2; i++) {
            relay.pipes[i] = keep_fds[1 + i] = off_stdio(relay.pipes[i]);
            relay.files[i] = keep_fds[3 + i] = off_stdio(relay.files[i]);
        }
        relay.signals = keep_fds[5] = off_stdio(relay.signals);
        dup2(ctx->devnull, 0);
        dup2(ctx->devnull, 1);
        dup2(ctx->devnull, 2);
        nsd_close_all_except(keep_fds, 6);
        nsd_supervise(cmd, rec, cfg->log_bytes ? &relay : NULL);
    }
}
