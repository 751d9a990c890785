/*
 * ns_spawn.h — start a sandbox (namespaces + tiny init + command) and run
 * commands inside a running one. Nothing is cloned from the calling
 * process: its address space is never copied. A helper process, nsd-init
 * (the executable built from Sources/nsd-init, found next to the calling
 * executable), is started once on first use and clones every sandbox init
 * and exec helper out of its own small address space, as children of the
 * caller (CLONE_PARENT): the caller waits for them and reaps them.
 *
 * Functions never exit, abort or print. Failure: return -1 and fill
 * `step` (static string naming the failed step) and `err` (errno).
 */
#ifndef NSD_NS_SPAWN_H
#define NSD_NS_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

/* gcc does not know clang's nullability qualifiers; Swift (clang) does. */
#if !defined(__clang__)
#define _Nullable
#define _Nonnull
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Namespace bits for `ns_flags`: the kernel's CLONE_NEW* values, spelled as
 * enum constants so Swift imports them without needing _GNU_SOURCE. */
enum {
    NSD_CLONE_NEWTIME   = 0x00000080,
    NSD_CLONE_NEWNS     = 0x00020000,
    NSD_CLONE_NEWCGROUP = 0x02000000,
    NSD_CLONE_NEWUTS    = 0x04000000,
    NSD_CLONE_NEWIPC    = 0x08000000,
    NSD_CLONE_NEWUSER   = 0x10000000,
    NSD_CLONE_NEWPID    = 0x20000000,
    NSD_CLONE_NEWNET    = 0x40000000,
};

struct nsd_spawn_config {
    /* Required (NULL fails with step "config", EINVAL; they are nullable
     * only so that Swift gets a zero initializer for the struct).
     * Absolute path of the executable (the caller resolves PATH), and
     * NULL-terminated argv / envp. */
    const char *_Nullable path;
    char *_Nullable const *_Nullable argv;
    char *_Nullable const *_Nullable envp;
    /* Bitmask of NSD_CLONE_NEW* (CLONE_NEWTIME included). */
    uint64_t ns_flags;
    /* NEWUTS only; NULL keeps the inherited name. */
    const char *_Nullable hostname;
    const char *_Nullable domainname;
    /* NEWUSER only: ready-to-write contents of /proc/PID/{uid,gid}_map,
     * e.g. "0 100000 65536\n". */
    const char *_Nullable uid_map;
    const char *_Nullable gid_map;
    /* NEWUSER only: write "deny" to /proc/PID/setgroups before gid_map. */
    int setgroups_deny;
    /* NEWNS only: pivot_root into this directory; NULL keeps the host's /. */
    const char *_Nullable rootfs;
    /* NEWNS only: make the (new) root mount read-only. */
    int readonly_rootfs;
    /* Mount a fresh /proc; needs NEWNS and NEWPID. */
    int mount_proc;
    /* NEWTIME only: clock offsets in seconds. */
    int64_t time_offset_monotonic;
    int64_t time_offset_boottime;
    /* Working directory of the command inside the sandbox; NULL means "/". */
    const char *_Nullable cwd;
    /* Identity of the command inside the sandbox (setresgid/setresuid). */
    uint32_t uid;
    uint32_t gid;
    /* Opened by the caller; dup2'ed onto 1 and 2 of the command. */
    int stdout_fd;
    int stderr_fd;
    /* O_WRONLY fd of the exit record file; the init pwrite()s one line at
     * offset 0: "exit <code> <unix_ns>\n" or "signal <sig> <unix_ns>\n".
     * -1: no record. */
    int exit_record_fd;
};

struct nsd_spawn_result {
    /* Host pid of the sandbox init (pid 1 inside when NEWPID). */
    pid_t pid;
    /* O_CLOEXEC pidfd of the init; the caller owns and reaps it. */
    int pidfd;
    /* Between nsd_spawn_begin and nsd_spawn_finish: the read end of the
     * init's error pipe (EOF once the command is exec'd); -1 otherwise. */
    int setup_fd;
    /* On failure: static name of the failed step, and its errno. */
    const char *_Nullable step;
    int err;
};

/* Start a sandbox. 0 on success (the command has been exec'd), -1 on
 * failure (no process left behind, nothing to reap). */
int nsd_spawn(const struct nsd_spawn_config *_Nonnull cfg,
              struct nsd_spawn_result *_Nonnull out);

/* nsd_spawn in two halves, so the caller can work (journal the sandbox)
 * while the init sets the namespaces up and execs the command: begin
 * returns once the init exists (pid, pidfd, setup_fd set); finish waits
 * for the exec. A failed begin leaves nothing behind; a failed finish has
 * reaped the init and closed pidfd and setup_fd. */
int nsd_spawn_begin(const struct nsd_spawn_config *_Nonnull cfg,
                    struct nsd_spawn_result *_Nonnull out);
int nsd_spawn_finish(struct nsd_spawn_result *_Nonnull out);

struct nsd_exec_config {
    /* pidfd and host pid of the sandbox init (pid is used only to find
     * /proc/PID/ns/time_for_children; the pidfd guards against reuse). */
    int pidfd;
    pid_t pid;
    /* The sandbox's NSD_CLONE_NEW* flags: the namespaces to join. */
    uint64_t ns_flags;
    /* Required, as in nsd_spawn_config. */
    const char *_Nullable path;
    char *_Nullable const *_Nullable argv;
    char *_Nullable const *_Nullable envp;
    const char *_Nullable cwd;   /* NULL means "/" */
    uint32_t uid;
    uint32_t gid;
    /* Write ends of the caller's pipes; stdin is /dev/null. */
    int stdout_fd;
    int stderr_fd;
};

struct nsd_exec_result {
    /* Host pid and O_CLOEXEC pidfd of the command itself. It is the
     * caller's own child (forked with CLONE_PARENT by a short-lived helper
     * that the shim has already reaped): wait for it with nsd_pidfd_wait,
     * kill it with nsd_pidfd_send_signal. */
    pid_t pid;
    int pidfd;
    const char *_Nullable step;
    int err;
};

/* Run a command in all namespaces (and the root) of a running sandbox. */
int nsd_exec_in(const struct nsd_exec_config *_Nonnull cfg,
                struct nsd_exec_result *_Nonnull out);

/* The nsd-init spawner. By default it is dirname(/proc/self/exe)/nsd-init;
 * a missing one fails a spawn with step "find nsd-init", ENOENT. Setting a
 * path (NULL: back to the default) stops the running spawner; the next
 * spawn starts one from the new path. 0, or -1 (ENOMEM). */
int nsd_set_init_path(const char *_Nullable path);

/* Host pid of the running spawner (a child of this process that lives
 * until this process exits, or until nsd_spawner_stop), or -1. */
pid_t nsd_spawner_pid(void);

/* Stop (and reap) the spawner. Sandboxes are not affected: they are this
 * process's children, not the spawner's. The next spawn starts a new one. */
void nsd_spawner_stop(void);

/* pidfd_open(pid, 0); the fd is O_CLOEXEC. -1 and errno on failure. */
int nsd_pidfd_open(pid_t pid);

/* pidfd_send_signal(pidfd, sig, NULL, 0). 0, or -1 and errno. */
int nsd_pidfd_send_signal(int pidfd, int sig);

struct nsd_wait_status {
    /* 1 when the status below is known (the process was our child and has
     * been reaped); 0 when it exited but is not our child (re-adopted
     * after a restart: read the exit record instead). */
    int reaped;
    int exit_code;   /* valid when reaped and signal == 0 */
    int signal;      /* terminating signal, or 0 */
};

/* Wait up to timeout_ms (-1: forever) for the process behind pidfd to exit.
 * Returns 1 if it exited (out filled; reaped when it was our child),
 * 0 on timeout, -1 and errno on error. Does not close the pidfd. */
int nsd_pidfd_wait(int pidfd, int timeout_ms,
                   struct nsd_wait_status *_Nonnull out);

#ifdef __cplusplus
}
#endif

#endif /* NSD_NS_SPAWN_H */
