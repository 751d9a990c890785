/*
 * init.h — private to nsd-init: the spawner, the sandbox init it forks for
 * every sandbox, and the exec helper it forks for every exec.
 *
 * nsd-init is a small single-threaded C process, so its children could use
 * any libc call; the helpers still stick to raw syscalls and async-signal-
 * safe calls (no malloc, no stdio) between clone and execve, as the code
 * always did, which keeps them correct whatever the spawner turns into.
 */
#ifndef NSD_INIT_H
#define NSD_INIT_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "../CNamespace/nsd_internal.h"

/* --- raw syscalls (rawsys.c) --- */
pid_t nsd_raw_clone(uint64_t flags);            /* clone3, exit_signal SIGCHLD */
pid_t nsd_vfork_run(int (*fn)(void *), void *arg); /* CLONE_VM|CLONE_VFORK child runs fn */
int nsd_raw_setresuid(uid_t uid);
int nsd_raw_setresgid(gid_t gid);
int nsd_raw_setgroups_none(void);
int nsd_raw_pivot_root(const char *new_root, const char *put_old);
int nsd_raw_mount_readonly(const char *path);   /* mount_setattr RDONLY */
int nsd_raw_setns(int fd, int nstype);
/* clone3 with a pidfd in *pidfd (exit_signal SIGCHLD, or none with
 * CLONE_PARENT: the child then signals our parent as we would). */
pid_t nsd_raw_clone3_pidfd(uint64_t flags, int *pidfd);

/* --- fd / report helpers (childutil.c) --- */
/* Report (step, errno) on fd; errno is read by the helper. */
void nsd_report(int fd, int step);
/* Close every fd >= 3 except those listed (negative entries ignored). */
void nsd_close_all_except(const int *keep, int n);
/* Put in/out/err onto 0/1/2 safely even when they already are 0..2. */
int nsd_setup_stdio(int in, int out, int err);
/* Unblock all signals (dispositions are already SIG_DFL, see below). */
void nsd_unblock_signals(void);
/* Every disposition to SIG_DFL: once, at the spawner's start. */
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

/* --- sandbox_init.c: what the spawner's clone3 child runs --- */
struct nsd_init_ctx {
    const struct nsd_spawn_config *cfg;
    int sync_r;          /* -1, or: spawner writes one byte when maps are written */
    int err_w;           /* error pipe, O_CLOEXEC */
    int devnull;
    size_t hostname_len;
    size_t domainname_len;
    const char *cwd;
    char timens_offsets[96];   /* preformatted "monotonic S 0\nboottime S 0\n" */
    size_t timens_offsets_len;
};
__attribute__((noreturn)) void nsd_sandbox_init(const struct nsd_init_ctx *ctx);

/* --- mounts.c, uts_net.c, timens.c: child-side setup steps.
 * Each returns 0 or -1 with errno set and *step filled. --- */
int nsd_setup_mounts(const struct nsd_init_ctx *ctx, int *step);
int nsd_setup_uts_net(const struct nsd_init_ctx *ctx, int *step);
int nsd_setup_timens(const struct nsd_init_ctx *ctx, int *step);

/* --- exec_helper.c: what the spawner's clone3 child runs for an exec --- */
struct nsd_exec_ctx {
    const struct nsd_exec_config *cfg;
    int err_w;
    int devnull;
    int time_fd;               /* -1 unless the sandbox has a time ns */
    const char *cwd;
};
__attribute__((noreturn)) void nsd_exec_helper(const struct nsd_exec_ctx *c);
/* Report "step" meaning: err carries the command's host pid. */
#define NSD_MSG_PID (-2)

/* --- requests.c: the spawner's handling of one request --- */
/* A request's strings, decoded in place from its body (NULL: absent). */
struct nsd_wire_strings {
    char *path;
    char **argv;
    char **envp;
    char *hostname, *domainname, *uid_map, *gid_map, *rootfs, *cwd;
};
/* Both answer the server on sock and return 0, or -1 if the socket broke. */
int nsd_handle_spawn(int sock, int devnull, const struct nsd_wire_req *req,
                     const struct nsd_wire_strings *s, const int *fds);
int nsd_handle_exec(int sock, int devnull, const struct nsd_wire_req *req,
                    const struct nsd_wire_strings *s, const int *fds);
int nsd_send_reply(int sock, int status, int step, int err, pid_t pid,
                   const int *fds, int nfds);

#endif /* NSD_INIT_H */
