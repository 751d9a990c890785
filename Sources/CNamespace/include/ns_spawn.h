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

#include "nsd_config.h"

#ifdef __cplusplus
extern "C" {
#endif

struct nsd_spawn_result {
    /* Host pid of the sandbox init (pid 1 inside when NEWPID). */
    pid_t pid;
    /* O_CLOEXEC pidfd of the init; the caller owns and reaps it. */
    int pidfd;
    /* Between nsd_spawn_begin and nsd_spawn_finish: the read end of the
     * init's error pipe (EOF once the command is exec'd); -1 otherwise. */
    int setup_fd;
    /* On failure: static name of the failed step, its errno, and the
     * entry of the list it worked on (a mount, a masked path) or -1. */
    const char *_Nullable step;
    int err;
    int index;
    /* After nsd_spawn_inodes (or a successful finish): the inodes of the
     * sandbox's namespaces as its init reported them, in the order mnt uts
     * ipc pid net user cgroup time (time: the command's); 0 where the init
     * could not read one. have_inodes is 1 once they arrived. */
    uint64_t inodes[8];
    int have_inodes;
};

/* Start a sandbox. 0 on success (the command has been exec'd), -1 on
 * failure (no process left behind, nothing to reap). */
int nsd_spawn(const struct nsd_spawn_config *_Nonnull cfg, struct nsd_spawn_result *_Nonnull out);

/* nsd_spawn in two halves, so the caller can work (journal the sandbox)
 * while the init sets the namespaces up and execs the command: begin
 * returns once the init exists (pid, pidfd, setup_fd set); finish waits
 * for the exec. A failed begin leaves nothing behind; a failed finish has
 * reaped the init and closed pidfd and setup_fd. */
int nsd_spawn_begin(const struct nsd_spawn_config *_Nonnull cfg, struct nsd_spawn_result *_Nonnull out);
int nsd_spawn_finish(struct nsd_spawn_result *_Nonnull out);

/* Between begin and finish: wait until the init has made all its
 * namespaces and reported their inodes (early in its setup, before the
 * command exists), so they are known even when the command ends at once.
 * 0, or -1 when the setup failed first (as finish: init reaped). */
int nsd_spawn_inodes(struct nsd_spawn_result *_Nonnull out);

struct nsd_exec_result {
    /* Host pid and O_CLOEXEC pidfd of the command itself. It is the
     * caller's own child (forked with CLONE_PARENT by a short-lived helper
     * that the shim has already reaped): wait for it with nsd_pidfd_wait,
     * kill it with nsd_pidfd_send_signal. */
    pid_t pid;
    int pidfd;
    const char *_Nullable step;
    int err;
    int index;
};

/* Run a command in all namespaces (and the root) of a running sandbox. */
int nsd_exec_in(const struct nsd_exec_config *_Nonnull cfg, struct nsd_exec_result *_Nonnull out);

struct nsd_hold_result {
    /* pid namespace: host pid and O_CLOEXEC pidfd of its keeper (pid 1 in
     * it), the caller's child to kill and reap; else 0 and -1. */
    pid_t pid;
    int pidfd;
    const char *_Nullable step;
    int err;
};

/* Make a namespace and bind-mount it onto cfg->target (an existing empty
 * file on a mount with private propagation). 0, or -1 with nothing left
 * behind but the target file. */
int nsd_hold(const struct nsd_hold_config *_Nonnull cfg, struct nsd_hold_result *_Nonnull out);

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
    int exit_code; /* valid when reaped and signal == 0 */
    int signal;    /* terminating signal, or 0 */
};

/* Wait up to timeout_ms (-1: forever) for the process behind pidfd to exit.
 * Returns 1 if it exited (out filled; reaped when it was our child),
 * 0 on timeout, -1 and errno on error. Does not close the pidfd. */
int nsd_pidfd_wait(int pidfd, int timeout_ms, struct nsd_wait_status *_Nonnull out);

#ifdef __cplusplus
}
#endif

#endif /* NSD_NS_SPAWN_H */
