/* rawsys.c — raw syscall wrappers, safe even in a child of a
 * multi-threaded process (nsd-init is single-threaded, but keeps to that
 * discipline so the code stays correct wherever it runs). glibc's
 * setresuid/setgroups broadcast the change to every thread of the (copied)
 * thread list and may hang in such a child, and its fork() takes malloc
 * locks another thread may have held at clone time; these go straight to
 * the kernel instead. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

/* Our own copies of the uapi structs: <linux/sched.h> and <linux/mount.h>
 * clash with glibc's <sched.h>/<sys/mount.h> on this glibc. */
struct nsd_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
    uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

struct nsd_mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

pid_t nsd_raw_clone(uint64_t flags)
{
    struct nsd_clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = flags;
    /* clone3 rejects an exit_signal with CLONE_PARENT: the child then
     * inherits ours (SIGCHLD, as every clone here uses). */
    a.exit_signal = (flags & 0x00008000ULL /* CLONE_PARENT */) ? 0 : SIGCHLD;
    return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}

/* As posix_spawn does: the child shares our memory until its execve (or
 * _exit), and we are suspended meanwhile, so no page tables are copied for
 * a process about to replace its memory. It runs `fn` on a stack of its
 * own and must only make syscalls; the (single) caller is a sandbox init,
 * which starts one command in its life. glibc's clone() is just the stack
 * switch around the raw syscall. */
pid_t nsd_vfork_run(int (*fn)(void *), void *arg)
{
    static char stack[64 * 1024] __attribute__((aligned(64)));
    return clone(fn, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, arg);
}

int nsd_raw_setresuid(uid_t uid) { return (int)syscall(SYS_setresuid, uid, uid, uid); }

int nsd_raw_setresgid(gid_t gid) { return (int)syscall(SYS_setresgid, gid, gid, gid); }

int nsd_raw_pivot_root(const char *new_root, const char *put_old)
{
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/* mount_setattr changes only the read-only bit, so flags the kernel locked
 * on mounts copied into a user namespace (nosuid, nodev...) stay as they are;
 * a MS_REMOUNT|MS_BIND would have to repeat them or fail with EPERM. */
int nsd_raw_mount_readonly(const char *path)
{
    struct nsd_mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = NSD_MOUNT_ATTR_RDONLY;
    return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, 0, &attr, sizeof attr);
}

/* One call for a whole tree of mounts (kernel >= 5.12): the recursive
 * read-only host root would otherwise take a remount per submount. */
int nsd_raw_mount_setattr_recursive(const char *path, uint64_t attr)
{
    struct nsd_mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = attr;
    return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &a, sizeof a);
}

/* The path was made real (no symlink in it) by the server: one that appears
 * meanwhile (a component swapped for a link to the state directory, or to
 * "/") fails with ELOOP instead of being followed. */
int nsd_raw_open_tree_clone(const char *path)
{
    struct {
        uint64_t flags, mode, resolve;
    } how = { .flags = O_PATH | O_CLOEXEC, .mode = 0, .resolve = 0x04 /* RESOLVE_NO_SYMLINKS */ };
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how), tree, saved;

    if (fd < 0)
        return -1;
    tree = (int)syscall(SYS_open_tree, fd, "",
                        1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
    saved = errno;
    close(fd);
    errno = saved;
    return tree;
}

int nsd_raw_move_mount(int tree, const char *target)
{
    return (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, target, 0x4 /* MOVE_MOUNT_F_EMPTY_PATH */);
}

int nsd_raw_setns(int fd, int nstype) { return (int)syscall(SYS_setns, fd, nstype); }

/* The spawner (requests.c): clone3 returning a pidfd. With CLONE_PARENT the
 * child becomes the server's, and signals it with our own exit signal. */
pid_t nsd_raw_clone3_pidfd(uint64_t flags, int *pidfd, int cgroup_fd)
{
    struct nsd_clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = flags;
    if (cgroup_fd >= 0) {
        a.flags |= 0x200000000ULL; /* CLONE_INTO_CGROUP */
        a.cgroup = (uint64_t)cgroup_fd;
    }
    a.pidfd = (uint64_t)(uintptr_t)pidfd;
    a.exit_signal = (flags & 0x00008000ULL /* CLONE_PARENT */) ? 0 : SIGCHLD;
    return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}
