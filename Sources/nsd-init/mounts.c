/* mounts.c — the mount-namespace part of the sandbox setup (child side):
 * private propagation, then either the confined view (the host's root or
 * the rootfs, with the view of view.c) or, privileged, the host's root
 * itself with an optional pivot into a rootfs, a read-only root and /proc.
 * Two phases: nsd_prepare_root with the host's ids, nsd_setup_mounts with
 * the sandbox's. The confined view of the host's root needs no pivot: the
 * mount namespace's copy of the host's tree is made read-only in place. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mount.h>
#include <unistd.h>

#include "init.h"

#define PROC_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static int fail(int *step, int s)
{
    *step = s;
    return -1;
}

/* With the new root as the current directory: /proc is mounted into it
 * *before* the old root is detached, since in a user namespace the kernel
 * refuses a proc mount unless a fully visible proc is already in the mount
 * namespace (mount_too_revealing), and the host's /proc vanishes with the
 * old root. pivot_root(".", "."): the old root ends up stacked on top of
 * the new one at "/", so no put_old directory is needed inside it. */
static int pivot_here(const struct nsd_init_ctx *ctx, struct nsd_host_clones *clones, int *step,
                      int *index)
{
    const struct nsd_spawn_config *cfg = ctx->cfg;

    if (cfg->mount_proc && mount("proc", "proc", "proc", PROC_FLAGS, 0) < 0)
        return fail(step, NSD_STEP_MOUNT_PROC);
    if (cfg->view.enabled && nsd_setup_view(ctx, clones, step, index) < 0)
        return -1;
    if (nsd_raw_pivot_root(".", ".") < 0)
        return fail(step, NSD_STEP_PIVOT_ROOT);
    if (umount2(".", MNT_DETACH) < 0)
        return fail(step, NSD_STEP_UMOUNT_OLDROOT);
    if (chdir("/") < 0)
        return fail(step, NSD_STEP_CHDIR_ROOTFS);
    return 0;
}

/* The rootfs as a mount of its own (pivot_root needs one), entered through
 * the cloned tree itself: a path swapped for a symlink between the server's
 * check and here is never followed. */
static int enter_rootfs(const struct nsd_spawn_config *cfg, int *step)
{
    int tree = nsd_raw_open_tree_clone(cfg->rootfs), rc;

    if (tree < 0)
        return fail(step, NSD_STEP_BIND_ROOTFS);
    rc = nsd_raw_move_mount(tree, cfg->rootfs) < 0 || fchdir(tree) < 0 ? -1 : 0;
    close(tree);
    return rc < 0 ? fail(step, NSD_STEP_BIND_ROOTFS) : 0;
}

/* The confined root, made read-only (the host's always, a rootfs when
 * asked) and nodev in one call for every submount, so that a device node
 * made with CAP_MKNOD on a writable part opens nothing. Without a rootfs it
 * is the mount namespace's own copy of the host's tree: no second copy, no
 * pivot. Done while the init still has the host's root ids (before taking a
 * user namespace's inside ids), which may be needed to reach a rootfs; all
 * that follows works relative to the new root, the current directory. */
static int enter_confined_root(const struct nsd_init_ctx *ctx, int *step)
{
    const struct nsd_spawn_config *cfg = ctx->cfg;
    uint64_t attr = NSD_MOUNT_ATTR_NODEV;

    if (cfg->rootfs) {
        if (enter_rootfs(cfg, step) < 0)
            return -1;
        if (cfg->readonly_rootfs)
            attr |= NSD_MOUNT_ATTR_RDONLY;
    } else {
        if (chdir("/") < 0)
            return fail(step, NSD_STEP_CHDIR_ROOTFS);
        attr |= NSD_MOUNT_ATTR_RDONLY;
    }
    if (nsd_raw_mount_setattr_recursive(".", attr) < 0)
        return fail(step, NSD_STEP_READONLY);
    return 0;
}

static int clone_from_host(const struct nsd_spawn_config *cfg, struct nsd_host_clones *clones, int *step,
                           int *index)
{
    char device[32] = "/dev/";

    for (int i = 0; i < NSD_MAX_MOUNTS; i++)
        clones->binds[i] = -1;
    for (int i = 0; i < NSD_DEVICE_COUNT; i++)
        clones->devices[i] = -1;
    for (uint32_t i = 0; i < cfg->view.nmounts && i < NSD_MAX_MOUNTS; i++) {
        const struct nsd_mount *m = &cfg->view.mounts[i];
        if (m->kind == NSD_MOUNT_BIND && (clones->binds[i] = nsd_raw_open_tree_clone(m->source)) < 0) {
            *index = (int)i;
            return fail(step, NSD_STEP_MOUNT_BIND);
        }
    }
    for (int i = 0; cfg->view.enabled && i < NSD_DEVICE_COUNT; i++) {
        size_t n = 0;
        for (; nsd_device_nodes[i][n]; n++)
            device[5 + n] = nsd_device_nodes[i][n];
        device[5 + n] = 0;
        if ((clones->devices[i] = nsd_raw_open_tree_clone(device)) < 0) {
            *index = i;
            return fail(step, NSD_STEP_DEV_NODE);
        }
    }
    return 0;
}

int nsd_prepare_root(const struct nsd_init_ctx *ctx, struct nsd_host_clones *clones, int *step,
                     int *index)
{
    const struct nsd_spawn_config *cfg = ctx->cfg;

    if (!(cfg->ns_flags & NSD_CLONE_NEWNS))
        return 0;
    /* The copied mount table keeps the host's shared propagation: without
     * this, our mounts would show up in the host's mount table. */
    if (mount("", "/", 0, MS_REC | MS_PRIVATE, 0) < 0)
        return fail(step, NSD_STEP_MOUNT_PRIVATE);
    if (clone_from_host(cfg, clones, step, index) < 0)
        return -1;
    return cfg->view.enabled ? enter_confined_root(ctx, step) : 0;
}

int nsd_setup_mounts(const struct nsd_init_ctx *ctx, struct nsd_host_clones *clones, int *step,
                     int *index)
{
    const struct nsd_spawn_config *cfg = ctx->cfg;

    if (!(cfg->ns_flags & NSD_CLONE_NEWNS))
        return 0;
    if (cfg->view.enabled && !cfg->rootfs) {
        if (cfg->mount_proc && mount("proc", "proc", "proc", PROC_FLAGS, 0) < 0)
            return fail(step, NSD_STEP_MOUNT_PROC);
        return nsd_setup_view(ctx, clones, step, index);
    }
    if (cfg->view.enabled)
        return pivot_here(ctx, clones, step, index);

    if (cfg->rootfs) {
        if (enter_rootfs(cfg, step) < 0 || pivot_here(ctx, clones, step, index) < 0)
            return -1;
    } else if (cfg->mount_proc) {
        if (mount("proc", "/proc", "proc", PROC_FLAGS, 0) < 0)
            return fail(step, NSD_STEP_MOUNT_PROC);
    }
    /* Only the root mount itself; /proc and other submounts keep theirs. */
    if (cfg->readonly_rootfs && nsd_raw_mount_readonly("/") < 0)
        return fail(step, NSD_STEP_READONLY);
    if (cfg->view.nmounts && chdir("/") < 0)
        return fail(step, NSD_STEP_CHDIR);
    if (cfg->view.nmounts && nsd_setup_user_mounts(ctx, clones, step, index) < 0)
        return -1;
    return 0;
}
