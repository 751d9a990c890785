/*
 * nsd_config.h — what a sandbox or an exec is started with: the one
 * description shared by the server (Swift fills these structs), the shim
 * that sends them (Sources/CNamespace) and nsd-init that runs them
 * (Sources/nsd-init). nsd_wire.h carries them between the processes.
 */
#ifndef NSD_CONFIG_H
#define NSD_CONFIG_H

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
    NSD_CLONE_NEWTIME = 0x00000080,
    NSD_CLONE_NEWNS = 0x00020000,
    NSD_CLONE_NEWCGROUP = 0x02000000,
    NSD_CLONE_NEWUTS = 0x04000000,
    NSD_CLONE_NEWIPC = 0x08000000,
    NSD_CLONE_NEWUSER = 0x10000000,
    NSD_CLONE_NEWPID = 0x20000000,
    NSD_CLONE_NEWNET = 0x40000000,
};

/* At most one joined namespace per type. */
#define NSD_MAX_JOINS 8

/* The spec allows at most this many `mounts`. */
#define NSD_MAX_MOUNTS 64

enum nsd_mount_kind {
    NSD_MOUNT_BIND = 1,
    NSD_MOUNT_TMPFS = 2,
};

/* One of the spec's `mounts`, made inside the sandbox's view in order. */
struct nsd_mount {
    const char *_Nullable source; /* bind: absolute host path; NULL for tmpfs */
    const char *_Nullable target; /* absolute path inside the sandbox */
    uint64_t size_bytes;          /* tmpfs only */
    uint32_t kind;                /* enum nsd_mount_kind */
    uint32_t read_only;
};

struct nsd_rlimit {
    uint32_t resource; /* RLIMIT_* */
    uint32_t reserved;
    uint64_t value; /* soft = hard */
};

/* What the command's own process applies right before execve, for a
 * sandbox's command and for every exec into it alike. */
struct nsd_confinement {
    /* 0: privileged: every capability, no filter, the server's limits. */
    uint32_t enabled;
    uint32_t nrlimits;
    /* Bit n = capability n: the bounding set, and what uid 0 keeps. */
    uint64_t capabilities;
    const struct nsd_rlimit *_Nullable rlimits;
    /* A classic BPF program (struct sock_filter[]) of seccomp_len bytes,
     * installed after no_new_privs; NULL: none. */
    const void *_Nullable seccomp;
    uint32_t seccomp_len;
    uint32_t reserved;
};

/* The sandbox's filesystem when it is confined (needs NEWNS): the host's
 * root recursively read-only (or `rootfs`), a private /dev, /proc and /tmp,
 * masked and read-only paths, then the spec's mounts. */
struct nsd_view {
    uint32_t enabled;
    uint32_t private_tmp; /* a tmpfs on /tmp */
    uint32_t mqueue;      /* /dev/mqueue (needs NEWIPC) */
    uint32_t nmounts;
    /* NULL-terminated paths inside the sandbox: masked (a directory by an
     * empty read-only tmpfs, anything else by /dev/null), and made
     * read-only. Missing ones are skipped. */
    char *_Nullable const *_Nullable masked;
    char *_Nullable const *_Nullable read_only;
    const struct nsd_mount *_Nullable mounts;
};

/* The line a capped log ends with. */
#define NSD_LOG_MARKER "\n[namespaced: log truncated: resources.logBytes reached]\n"

/* Cgroup v1 hierarchies a process may join (memory, pids, cpu, cpuacct,
 * freezer). */
#define NSD_MAX_CGROUP_PROCS 5

/* The sandbox's cgroups (Sources/NamespaceKit/Cgroups), opened by the
 * server. The fds travel as SCM_RIGHTS after the config's own. */
struct nsd_cgroup {
    /* A cgroup2 directory (when has_dir): the process is cloned straight
     * into it (CLONE_INTO_CGROUP), so it never runs outside. A zeroed
     * struct means no cgroup at all. */
    uint32_t has_dir;
    int dir_fd;
    uint32_t nprocs;
    /* O_WRONLY cgroup.procs files of cgroup v1 hierarchies: the process
     * writes "0" (itself) to each before it does anything else. */
    int procs_fds[NSD_MAX_CGROUP_PROCS];
};

static inline int nsd_cgroup_used(const struct nsd_cgroup *_Nonnull c)
{
    return c->has_dir || c->nprocs > 0;
}

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
    /* Opened by the caller: the logs. With log_bytes 0 they are dup2'ed
     * onto 1 and 2 of the command; else the command writes into pipes the
     * init copies into them, each up to log_bytes, then one marker line
     * (NSD_LOG_MARKER), the rest discarded. */
    int stdout_fd;
    int stderr_fd;
    uint64_t log_bytes;
    /* O_WRONLY fd of the exit record file; the init pwrite()s one line at
     * offset 0: "exit <code> <unix_ns>\n" or "signal <sig> <unix_ns>\n".
     * -1: no record. */
    int exit_record_fd;
    struct nsd_view view;
    struct nsd_confinement confinement;
    /* With a cgroup and NEWCGROUP, the init makes its cgroup namespace
     * itself (unshare) once it is in its cgroups, so that the namespace's
     * root is the sandbox's cgroup and not the spawner's; the inodes it
     * reports (NSD_MSG_INODES) come after that. */
    struct nsd_cgroup cgroup;
    /* Namespaces entered instead of created (the spec's `join`): join_types[i]
     * is the NSD_CLONE_NEW* of the namespace open on join_fds[i] (opened by
     * the server, checked with NS_GET_NSTYPE; they travel with the request
     * after the fixed fds). None of them is in ns_flags. */
    uint32_t njoins;
    uint32_t join_types[NSD_MAX_JOINS];
    int join_fds[NSD_MAX_JOINS];
};

/* A namespace made to be held on its own (POST /namespaces): the spawner's
 * child unshares it, and the spawner bind-mounts /proc/CHILD/ns/TYPE onto
 * `target`; a pid namespace instead gets a keeper as its pid 1 (the server's
 * child, as a sandbox init is), whose namespace is bound the same way. */
struct nsd_hold_config {
    uint64_t ns_flag;             /* exactly one NSD_CLONE_NEW* */
    const char *_Nullable target; /* an existing empty file on a private mount */
    /* NEWNS: unmounted (detached) inside the new mount namespace, so that it
     * does not keep the other held namespaces alive through its copy. */
    const char *_Nullable detach;
    const char *_Nullable uid_map; /* NEWUSER: contents of uid_map / gid_map */
    const char *_Nullable gid_map;
    int64_t time_offset_monotonic; /* NEWTIME, seconds */
    int64_t time_offset_boottime;
};

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
    const char *_Nullable cwd; /* NULL means "/" */
    uint32_t uid;
    uint32_t gid;
    /* Write ends of the caller's pipes; stdin is /dev/null. */
    int stdout_fd;
    int stderr_fd;
    /* The sandbox's own. */
    struct nsd_confinement confinement;
    struct nsd_cgroup cgroup;
};

#ifdef __cplusplus
}
#endif

#endif /* NSD_CONFIG_H */
