/*
 * init.h — private to nsd-init: the spawner, the sandbox init it forks for
 * every sandbox, and the exec helper it forks for every exec.
 *
 * nsd-init is a small single-threaded C process, so its children could use
 * any libc call; the helpers still stick to raw syscalls and async-signal-
 * safe calls (no malloc, no stdio) between clone and execve, which keeps
 * them correct whatever the spawner turns into.
 */
#ifndef NSD_INIT_H
#define NSD_INIT_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "nsd_config.h"
#include "nsd_steps.h"
#include "nsd_wire.h"

/* clone3 flags older libc headers lack. CLEAR_SIGHAND: the child starts
 * with default dispositions. */
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000ULL
#endif
#ifndef CLONE_PARENT
#define CLONE_PARENT 0x00008000ULL
#endif
#define NSD_CLONE_CLEAR_SIGHAND 0x100000000ULL

/* --- raw syscalls (rawsys.c) --- */
pid_t nsd_raw_clone(uint64_t flags);               /* clone3, exit_signal SIGCHLD */
pid_t nsd_vfork_run(int (*fn)(void *), void *arg); /* CLONE_VM|CLONE_VFORK child runs fn */
int nsd_raw_setresuid(uid_t uid);
int nsd_raw_setresgid(gid_t gid);
int nsd_raw_pivot_root(const char *new_root, const char *put_old);
int nsd_raw_mount_readonly(const char *path); /* mount_setattr RDONLY */
/* mount_setattr(path, AT_RECURSIVE) setting `attr` (MOUNT_ATTR_* bits). */
int nsd_raw_mount_setattr_recursive(const char *path, uint64_t attr);
int nsd_raw_setns(int fd, int nstype);
/* clone3 with a pidfd in *pidfd (exit_signal SIGCHLD, or none with
 * CLONE_PARENT: the child then signals our parent as we would), straight
 * into the cgroup2 directory cgroup_fd unless it is -1. */
pid_t nsd_raw_clone3_pidfd(uint64_t flags, int *pidfd, int cgroup_fd);
#define NSD_MOUNT_ATTR_RDONLY 0x00000001ULL
#define NSD_MOUNT_ATTR_NOSUID 0x00000002ULL
#define NSD_MOUNT_ATTR_NODEV 0x00000004ULL

/* --- cgroups.c --- */
/* Join the cgroup v1 hierarchies of c (write "0" to each cgroup.procs) and
 * close those fds; 0, or -1 with errno set. Nothing else may run in the
 * process before: what it allocates is charged where it is. */
int nsd_join_cgroups(const struct nsd_cgroup *c);
/* The fds of c to keep open until nsd_join_cgroups, appended to keep;
 * returns the new count. */
int nsd_cgroup_keep(const struct nsd_cgroup *c, int *keep, int n);

/* --- groups.c --- */
/* Drop the supplementary groups, unless there are none, or the user
 * namespace we run in forbids setgroups (its /proc/PID/setgroups says
 * "deny": a rootless server), which leaves nothing we could drop. */
int nsd_drop_groups(void);

/* --- fd / report helpers (childutil.c) --- */
/* Report (step, errno, index) on fd; errno is read by the helper. */
void nsd_report(int fd, int step, int index);
/* Report the inodes of our namespaces (NSD_MSG_INODES); with_time: of the
 * time namespace our children get. Reads /proc/self/ns: call it while the
 * host's /proc is still mounted. */
void nsd_report_inodes(int fd, int with_time);
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

/* --- supervise.c: the sandbox init's main loop --- */
/* The signals the init forwards to the command. */
void nsd_forward_sigset(sigset_t *set); /* forwarded + SIGCHLD */
/* The command's output on its way to the logs (log_bytes > 0): the read
 * ends of its stdout and stderr pipes, and the log files. */
struct nsd_log_relay {
    int pipes[2];
    int files[2];
    uint64_t written[2];
    int truncated[2];
    uint64_t cap;
    int signals; /* signalfd of nsd_forward_sigset */
};
/* Forward signals to `child`, reap everything, copy the command's output
 * into the logs (relay NULL: it writes them itself), and when `child` ends
 * record its status on record_fd (if >= 0) and _exit(code or 128+sig).
 * Never returns. */
__attribute__((noreturn)) void nsd_supervise(pid_t child, int record_fd, struct nsd_log_relay *relay);

/* --- confine.c: the command's own last steps before execve --- */
/* Drops to uid/gid inside the confinement (rlimits, bounding set, ids,
 * capabilities, no_new_privs, seccomp, in that order). 0, or -1 with errno
 * set and *step filled. */
int nsd_confine(const struct nsd_confinement *k, uint32_t uid, uint32_t gid, int change_ids, int *step);

/* --- sandbox_init.c: what the spawner's clone3 child runs --- */
struct nsd_init_ctx {
    const struct nsd_spawn_config *cfg;
    int sync_r; /* -1, or: spawner writes one byte when maps are written */
    int err_w;  /* error pipe, O_CLOEXEC */
    int devnull;
    size_t hostname_len;
    size_t domainname_len;
    const char *cwd;
    char timens_offsets[96]; /* preformatted "monotonic S 0\nboottime S 0\n" */
    size_t timens_offsets_len;
    /* What the command gets as 1 and 2: the logs, or the relay's pipes. */
    int command_stdout;
    int command_stderr;
};
__attribute__((noreturn)) void nsd_sandbox_init(const struct nsd_init_ctx *ctx);

/* --- mounts.c, view.c, uts_net.c, timens.c: child-side setup steps.
 * Each returns 0 or -1 with errno set and *step (and *index, for a list
 * entry) filled. --- */
/* What the sandbox takes from the host's tree, cloned (open_tree) while it
 * is as the host has it: before it turns read-only and nodev, and before a
 * new /dev, a mask or a pivot covers it. -1 where there is nothing. */
#define NSD_DEVICE_COUNT 6
extern const char *const nsd_device_nodes[NSD_DEVICE_COUNT];
struct nsd_host_clones {
    int binds[NSD_MAX_MOUNTS];     /* the spec's bind sources, by index */
    int devices[NSD_DEVICE_COUNT]; /* /dev/null ... as nsd_device_nodes */
};
/* Private propagation, the host clones, and (confined) the new root as
 * current directory. */
int nsd_prepare_root(const struct nsd_init_ctx *ctx, struct nsd_host_clones *clones, int *step,
                     int *index);
int nsd_setup_mounts(const struct nsd_init_ctx *ctx, struct nsd_host_clones *clones, int *step,
                     int *index);
/* The confined view, assembled in the current directory (the new root)
 * before pivot_root: /dev, /proc masks, /tmp, read-only paths, mounts. */
int nsd_setup_view(const struct nsd_init_ctx *ctx, struct nsd_host_clones *clones, int *step,
                   int *index);
/* Only the spec's mounts, relative to the current directory. */
int nsd_setup_user_mounts(const struct nsd_init_ctx *ctx, struct nsd_host_clones *clones, int *step,
                          int *index);
/* open_tree(OPEN_TREE_CLONE | AT_RECURSIVE) of a path resolved without
 * following any symlink, and move_mount of such a tree. */
int nsd_raw_open_tree_clone(const char *path);
int nsd_raw_move_mount(int tree, const char *target);
int nsd_setup_uts_net(const struct nsd_init_ctx *ctx, int *step);
/* Bring the loopback device of the current network namespace up. */
int nsd_lo_up(void);
/* join.c: enter the joined namespaces but user (the spec's `join`), and the
 * joined user namespace, which comes last, with the spec's ids. */
int nsd_join_namespaces(const struct nsd_init_ctx *ctx, int *step, int *index);
int nsd_join_user(const struct nsd_init_ctx *ctx, int *step);
/* The joined namespace of this type, or -1. */
int nsd_join_fd(const struct nsd_spawn_config *cfg, uint32_t type);
int nsd_setup_timens(const struct nsd_init_ctx *ctx, int *step);

/* --- exec_helper.c: what the spawner's clone3 child runs for an exec --- */
struct nsd_exec_ctx {
    const struct nsd_exec_config *cfg;
    int err_w;
    int devnull;
    int time_fd; /* -1 unless the sandbox has a time ns */
    const char *cwd;
};
__attribute__((noreturn)) void nsd_exec_helper(const struct nsd_exec_ctx *c);

/* --- requests.c: the spawner's handling of one decoded request --- */
/* Both answer the server on sock and return 0, or -1 if the socket broke. */
int nsd_handle_spawn(int sock, int devnull, const struct nsd_spawn_config *cfg);
int nsd_handle_exec(int sock, int devnull, const struct nsd_exec_config *cfg);
/* hold.c: make a namespace and bind it onto cfg->target (see nsd_hold_config). */
int nsd_handle_hold(int sock, int devnull, const struct nsd_hold_config *cfg);
/* requests.c: write "setgroups"/"uid_map"/"gid_map" of a process (one write each). */
int nsd_write_proc_file(pid_t pid, const char *name, const char *data);
int nsd_send_reply(int sock, int status, int step, int err, int index, pid_t pid, const int *fds,
                   int nfds);

#endif /* NSD_INIT_H */
