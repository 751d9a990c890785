/*
 * nsd_internal.h — private to the spawn/exec shim (not exported to Swift).
 *
 * Rule for everything declared "child-safe" here: it may run in a child of
 * a multi-threaded process after a raw clone, so it uses raw syscalls only:
 * no malloc, no stdio, no locks, no glibc wrappers that broadcast to other
 * threads (setresuid & co. use the nptl setxid broadcast and can hang).
 */
#ifndef NSD_INTERNAL_H
#define NSD_INTERNAL_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "ns_spawn.h"

#define NSD_ALL_NS                                                        \
    ((uint64_t)(NSD_CLONE_NEWTIME | NSD_CLONE_NEWNS | NSD_CLONE_NEWCGROUP | \
                NSD_CLONE_NEWUTS | NSD_CLONE_NEWIPC | NSD_CLONE_NEWUSER |   \
                NSD_CLONE_NEWPID | NSD_CLONE_NEWNET))

/* Steps a child can fail at; sent over the error pipe as an index (not a
 * pointer) so the report is plain data. Names are in steps.c. */
enum nsd_step {
    NSD_STEP_SYNC,
    NSD_STEP_SETGROUPS,
    NSD_STEP_SETRESGID,
    NSD_STEP_SETRESUID,
    NSD_STEP_DUMPABLE,
    NSD_STEP_MOUNT_PRIVATE,
    NSD_STEP_BIND_ROOTFS,
    NSD_STEP_CHDIR_ROOTFS,
    NSD_STEP_MOUNT_PROC,
    NSD_STEP_PIVOT_ROOT,
    NSD_STEP_UMOUNT_OLDROOT,
    NSD_STEP_READONLY,
    NSD_STEP_SETHOSTNAME,
    NSD_STEP_SETDOMAINNAME,
    NSD_STEP_LO_UP,
    NSD_STEP_UNSHARE_TIME,
    NSD_STEP_TIMENS_OFFSETS,
    NSD_STEP_CHDIR,
    NSD_STEP_SUBREAPER,
    NSD_STEP_FORK,
    NSD_STEP_STDIO,
    NSD_STEP_CLOSE_RANGE,
    NSD_STEP_NO_NEW_PRIVS,
    NSD_STEP_EXEC,
    NSD_STEP_SETNS_TIME,
    NSD_STEP_SETNS,
    NSD_STEP_COUNT
};

const char *nsd_step_name(int step);

/* What a failing child writes to the error pipe (one atomic write). */
struct nsd_report {
    int32_t step;
    int32_t err;
};

/* --- child-safe helpers (rawsys.c) --- */
pid_t nsd_raw_fork(void);                       /* clone3, exit_signal SIGCHLD */
pid_t nsd_raw_clone(uint64_t flags);            /* same, with extra clone flags */
int nsd_raw_setresuid(uid_t uid);
int nsd_raw_setresgid(gid_t gid);
int nsd_raw_setgroups_none(void);
int nsd_raw_pivot_root(const char *new_root, const char *put_old);
int nsd_raw_mount_readonly(const char *path);   /* mount_setattr RDONLY */
int nsd_raw_setns(int fd, int nstype);
/* Parent side: clone3 with exit_signal SIGCHLD and a pidfd in *pidfd. */
pid_t nsd_raw_clone3_pidfd(uint64_t flags, int *pidfd);

/* --- child-safe fd / report helpers (childutil.c) --- */
/* Report (step, errno) on fd; errno is read by the helper. */
void nsd_report(int fd, int step);
/* Close every fd >= 3 except those listed (negative entries ignored). */
void nsd_close_all_except(const int *keep, int n);
/* Put in/out/err onto 0/1/2 safely even when they already are 0..2. */
int nsd_setup_stdio(int in, int out, int err);
/* Reset every disposition to SIG_DFL and unblock all signals. */
void nsd_reset_signals(void);
void nsd_default_dispositions(void);
/* Decimal formatting without snprintf; returns chars written. */
int nsd_fmt_u64(char *buf, uint64_t v);
size_t nsd_strlen(const char *s);

/* --- supervise.c: the sandbox init's main loop --- */
/* The signals the init forwards to the command. */
void nsd_forward_sigset(sigset_t *set);          /* forwarded + SIGCHLD */
/* Forward signals to `child`, reap everything, and when `child` ends
 * record its status on record_fd (if >= 0) and _exit(code or 128+sig).
 * Never returns. */
__attribute__((noreturn)) void nsd_supervise(pid_t child, int record_fd);

/* --- sandbox_init.c: what the clone child runs --- */
struct nsd_init_ctx {
    const struct nsd_spawn_config *cfg;
    int sync_r;          /* parent writes one byte when maps are written */
    int err_w;           /* error pipe, O_CLOEXEC */
    int devnull;
    size_t hostname_len;
    size_t domainname_len;
    const char *cwd;
    char timens_offsets[96];   /* preformatted "monotonic S 0\nboottime S 0\n" */
    size_t timens_offsets_len;
    /* The server's argument area (argv strings, contiguous), which the init
     * overwrites so `ps`/`pkill -f namespaced` never mistake it for the server. */
    char *args;
    size_t args_len;
};
__attribute__((noreturn)) void nsd_sandbox_init(const struct nsd_init_ctx *ctx);

/* --- mounts.c, uts_net.c, timens.c: child-side setup steps.
 * Each returns 0 or -1 with errno set and *step filled. --- */
int nsd_setup_mounts(const struct nsd_init_ctx *ctx, int *step);
int nsd_setup_uts_net(const struct nsd_init_ctx *ctx, int *step);
int nsd_setup_timens(const struct nsd_init_ctx *ctx, int *step);

/* --- parent side (parentutil.c) --- */
/* The calling process's argument area: start and length (0 if unknown). */
void nsd_argument_area(char **start, size_t *len);
/* Wait for the child's report: 0 on EOF (success), 1 with *rep filled. */
int nsd_read_report(int fd, int timeout_ms, struct nsd_report *rep);
/* Kill (if kill_it) and reap a failed child; closes pidfd. */
void nsd_reap_failed(pid_t pid, int pidfd, int kill_it);
void nsd_close_quietly(int fd);

#endif /* NSD_INTERNAL_H */
