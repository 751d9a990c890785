/* view.c — the confined sandbox's filesystem, assembled inside the new root
 * (the current directory; with a rootfs, before pivot_root). What comes from
 * the host (device nodes, bind sources) is cloned with open_tree before
 * anything covers it; masks bind the new /dev/null:
 *   /dev      a tmpfs with bind mounts of a few host device nodes, a new
 *             devpts instance, /dev/shm, and /dev/mqueue with "ipc";
 *   /tmp      a private tmpfs (without a rootfs);
 *   masked    paths hidden (a directory by an empty read-only tmpfs,
 *             anything else by /dev/null): /proc's dangerous files, the
 *             server's state directory and credentials;
 *   read-only paths bound onto themselves and made read-only;
 *   then the spec's mounts, in order.
 * Writable mounts are nodev: with CAP_MKNOD a sandbox may create device
 * nodes, but never open one. Paths are relative ("dev/null"): only the
 * new root changes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init.h"

#define WRITABLE_FLAGS (MS_NOSUID | MS_NODEV)

const char *const nsd_device_nodes[NSD_DEVICE_COUNT] = { "null",   "zero",    "full",
                                                         "random", "urandom", "tty" };

static const char *const dev_links[][2] = {
    { "pts/ptmx", "dev/ptmx" },          { "/proc/self/fd", "dev/fd" },
    { "/proc/self/fd/0", "dev/stdin" },  { "/proc/self/fd/1", "dev/stdout" },
    { "/proc/self/fd/2", "dev/stderr" },
};

static int fail(int *step, int s)
{
    *step = s;
    return -1;
}

static int fail_at(int *step, int s, int *index, int i)
{
    *index = i;
    return fail(step, s);
}

static int mkdir_exists_ok(const char *path, mode_t mode)
{
    return mkdir(path, mode) < 0 && errno != EEXIST ? -1 : 0;
}

/* mkdir -p of a relative path (no allocation: a stack copy). */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t n = 0;

    for (const char *p = path; *p; p++) {
        if (n + 1 >= sizeof buf) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (*p == '/' && n > 0) {
            buf[n] = 0;
            if (mkdir_exists_ok(buf, 0755) < 0)
                return -1;
        }
        buf[n++] = *p;
    }
    buf[n] = 0;
    return mkdir_exists_ok(buf, 0755);
}

/* An empty regular file to bind a file onto, its parents made as needed
 * (tried last: they usually exist). */
static int make_file(const char *path)
{
    char dir[4096];
    const char *slash = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

    if (fd >= 0)
        return close(fd);
    if (errno != ENOENT)
        return -1;
    for (const char *p = path; *p; p++)
        if (*p == '/')
            slash = p;
    if (slash) {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir) {
            errno = ENAMETOOLONG;
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            dir[i] = path[i];
        dir[n] = 0;
        if (make_dirs(dir) < 0)
            return -1;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return errno == EEXIST ? 0 : -1;
    return close(fd);
}

/* The device nodes are the host's, cloned by nsd_prepare_root: each one is
 * moved onto an empty file of the new /dev. */
static int make_dev(const struct nsd_spawn_config *cfg, int devices[NSD_DEVICE_COUNT], int *step,
                    int *index)
{
    char target[32] = "dev/";

    if (mkdir_exists_ok("dev", 0755) < 0 ||
        mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
        return fail(step, NSD_STEP_MOUNT_DEV);
    for (int i = 0; i < NSD_DEVICE_COUNT; i++) {
        size_t n = 0;
        for (; nsd_device_nodes[i][n]; n++)
            target[4 + n] = nsd_device_nodes[i][n];
        target[4 + n] = 0;
        if (make_file(target) < 0 || nsd_raw_move_mount(devices[i], target) < 0)
            return fail_at(step, NSD_STEP_DEV_NODE, index, i);
    }
    if (mkdir_exists_ok("dev/pts", 0755) < 0 ||
        mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=620") < 0)
        return fail(step, NSD_STEP_MOUNT_DEVPTS);
    if (mkdir_exists_ok("dev/shm", 01777) < 0 ||
        mount("tmpfs", "dev/shm", "tmpfs", WRITABLE_FLAGS | MS_NOEXEC, "mode=1777,size=65536k") < 0)
        return fail(step, NSD_STEP_MOUNT_SHM);
    if (cfg->view.mqueue && (mkdir_exists_ok("dev/mqueue", 0755) < 0 ||
                             mount("mqueue", "dev/mqueue", "mqueue", WRITABLE_FLAGS | MS_NOEXEC, 0) < 0))
        return fail(step, NSD_STEP_MOUNT_MQUEUE);
    for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
        if (symlink(dev_links[i][0], dev_links[i][1]) < 0 && errno != EEXIST)
            return fail(step, NSD_STEP_MOUNT_DEV);
    return 0;
}

/* A path the sandbox cannot reach (absent, or behind a directory its user
 * may not search) needs no mask. */
static int unreachable(int err) { return err == ENOENT || err == ENOTDIR || err == EACCES; }

static int mask(const char *path, int *step, int *index, int i)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return unreachable(errno) ? 0 : fail_at(step, NSD_STEP_MASK, index, i);
    if (S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                    "size=0,mode=555") < 0
                            : mount("/dev/null", path, 0, MS_BIND, 0) < 0)
        return fail_at(step, NSD_STEP_MASK, index, i);
    return 0;
}

static int read_only(const char *path, int *step, int *index, int i)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return unreachable(errno) ? 0 : fail_at(step, NSD_STEP_READONLY_PATH, index, i);
    if (mount(path, path, 0, MS_BIND | MS_REC, 0) < 0 ||
        nsd_raw_mount_setattr_recursive(path, NSD_MOUNT_ATTR_RDONLY | NSD_MOUNT_ATTR_NOSUID |
                                                  NSD_MOUNT_ATTR_NODEV) < 0)
        return fail_at(step, NSD_STEP_READONLY_PATH, index, i);
    return 0;
}

/* `tree` is the bind source's detached copy (nsd_prepare_root), consumed. */
static int user_mount(const struct nsd_mount *m, int tree, int *step, int *index, int i)
{
    const char *target = m->target + 1; /* absolute: validated by the server */
    struct stat st;

    if (m->kind == NSD_MOUNT_BIND) {
        int dir = fstat(tree, &st) == 0 && S_ISDIR(st.st_mode), rc;
        if ((dir ? make_dirs(target) : make_file(target)) < 0) {
            close(tree);
            return fail_at(step, NSD_STEP_MOUNT_TARGET, index, i);
        }
        rc = nsd_raw_move_mount(tree, target);
        close(tree);
        if (rc < 0 || nsd_raw_mount_setattr_recursive(
                          target, NSD_MOUNT_ATTR_NODEV | (m->read_only ? NSD_MOUNT_ATTR_RDONLY : 0)) < 0)
            return fail_at(step, NSD_STEP_MOUNT_BIND, index, i);
        return 0;
    }
    {
        char opts[64] = "size=";
        int n = 5;
        n += nsd_fmt_u64(opts + n, m->size_bytes);
        for (const char *s = ",mode=1777"; *s; s++)
            opts[n++] = *s;
        opts[n] = 0;
        if (make_dirs(target) < 0)
            return fail_at(step, NSD_STEP_MOUNT_TARGET, index, i);
        if (mount("tmpfs", target, "tmpfs", WRITABLE_FLAGS | (m->read_only ? MS_RDONLY : 0), opts) < 0)
            return fail_at(step, NSD_STEP_MOUNT_TMPFS, index, i);
    }
    return 0;
}

int nsd_setup_user_mounts(const struct nsd_init_ctx *ctx, struct nsd_host_clones *clones, int *step,
                          int *index)
{
    const struct nsd_view *v = &ctx->cfg->view;

    for (int i = 0; i < (int)v->nmounts; i++)
        if (user_mount(&v->mounts[i], clones->binds[i], step, index, i) < 0)
            return -1;
    return 0;
}

int nsd_setup_view(const struct nsd_init_ctx *ctx, struct nsd_host_clones *clones, int *step, int *index)
{
    const struct nsd_view *v = &ctx->cfg->view;
    int i;

    if (make_dev(ctx->cfg, clones->devices, step, index) < 0)
        return -1;
    if (v->private_tmp && mount("tmpfs", "tmp", "tmpfs", WRITABLE_FLAGS, "mode=1777") < 0)
        return fail(step, NSD_STEP_MOUNT_TMP);
    for (i = 0; v->masked && v->masked[i]; i++)
        if (mask(v->masked[i] + 1, step, index, i) < 0)
            return -1;
    for (i = 0; v->read_only && v->read_only[i]; i++)
        if (read_only(v->read_only[i] + 1, step, index, i) < 0)
            return -1;
    return nsd_setup_user_mounts(ctx, clones, step, index);
}
