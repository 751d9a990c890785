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
#include <signal.h>
#include <sys/prctl.h>
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

    if (nsd_setup_stdio(ctx->devnull, cfg->stdout_fd, cfg->stderr_fd) < 0)
        die(ctx, NSD_STEP_STDIO);
    /* Mark everything but 0..2 close-on-exec: the error pipe must survive
     * until execve (its EOF tells the server the exec worked), the rest
     * (exit record, the spawner's fds) must never reach the command. */
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        die(ctx, NSD_STEP_CLOSE_RANGE);
    /* Without a user namespace the init stays host root for the setup; the
     * command drops to the wanted ids here. (With one, the init already did.) */
    if (nsd_confine(&cfg->confinement, cfg->uid, cfg->gid,
                    !(cfg->ns_flags & NSD_CLONE_NEWUSER) && nsd_join_fd(cfg, NSD_CLONE_NEWUSER) < 0, &step) < 0)
        die(ctx, step);
    nsd_unblock_signals();
    execve(cfg->path, cfg->argv, cfg->envp);
    die(ctx, NSD_STEP_EXEC);
}

static int command_main(void *ctx)
{
    exec_command(ctx);
}

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
    int keep[6 + NSD_MAX_JOINS] = { ctx->sync_r, ctx->err_w, ctx->devnull,
                                    cfg->stdout_fd, cfg->stderr_fd, cfg->exit_record_fd };
    sigset_t fwd;
    char go;
    ssize_t n;
    int step, index = -1;
    struct nsd_host_clones clones;
    pid_t cmd;

    /* 1. Drop every fd of the spawner (its socket to the server) at once:
     *    the init lives as long as the sandbox. */
    for (uint32_t i = 0; i < cfg->njoins && i < NSD_MAX_JOINS; i++)
        keep[6 + i] = cfg->join_fds[i];
    nsd_close_all_except(keep, 6 + NSD_MAX_JOINS);
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
    if (nsd_setup_timens(ctx, &step) < 0 || nsd_prepare_root(ctx, &clones, &step, &index) < 0)
        die_at(ctx, step, index);
    become_inside_user(ctx);

    /* 5. Namespaces, in dependency order. */
    if (nsd_setup_mounts(ctx, &clones, &step, &index) < 0 ||
        nsd_setup_uts_net(ctx, &step) < 0)
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

    cmd = nsd_vfork_run(command_main, (void *)ctx);
    if (cmd < 0)
        die(ctx, NSD_STEP_FORK);

    /* 7. Keep only the exit record; stdio to /dev/null so the init holds
     *    no pipe or log file of the caller open (its 0..2 were the server's,
     *    through the spawner). */
    {
        int rec = cfg->exit_record_fd;
        if (rec >= 0 && rec < 3)
            rec = fcntl(rec, F_DUPFD_CLOEXEC, 3);   /* keep it off 0..2 */
        dup2(ctx->devnull, 0);
        dup2(ctx->devnull, 1);
        dup2(ctx->devnull, 2);
        nsd_close_all_except(&rec, 1);
        nsd_supervise(cmd, rec);
    }
}
