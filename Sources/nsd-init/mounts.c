/* mounts.c — the mount-namespace part of the sandbox setup (child side):
 * private propagation, optional pivot into a rootfs, read-only root, /proc. */
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

/* Pivot into cfg->rootfs. /proc is mounted into the new root *before* the
 * old root is detached: in a user namespace the kernel refuses a proc mount
 * unless a fully visible proc is already in the mount namespace
 * (mount_too_revealing), and the host's /proc vanishes with the old root. */
static int pivot_into_rootfs(const struct nsd_spawn_config *cfg, int *step)
{
    /* pivot_root needs the new root to be a mount point. */
    if (mount(cfg->rootfs, cfg->rootfs, 0, MS_BIND | MS_REC, 0) < 0)
        return fail(step, NSD_STEP_BIND_ROOTFS);
    if (chdir(cfg->rootfs) < 0)
        return fail(step, NSD_STEP_CHDIR_ROOTFS);
    if (cfg->mount_proc && mount("proc", "proc", "proc", PROC_FLAGS, 0) < 0)
        return fail(step, NSD_STEP_MOUNT_PROC);
    /* pivot_root(".", "."): the old root ends up stacked on top of the new
     * one at "/", so no put_old directory is needed inside the rootfs. */
    if (nsd_raw_pivot_root(".", ".") < 0)
        return fail(step, NSD_STEP_PIVOT_ROOT);
    if (umount2(".", MNT_DETACH) < 0)
        return fail(step, NSD_STEP_UMOUNT_OLDROOT);
    if (chdir("/") < 0)
        return fail(step, NSD_STEP_CHDIR_ROOTFS);
    return 0;
}

int nsd_setup_mounts(const struct nsd_init_ctx *ctx, int *step)
{
    const struct nsd_spawn_config *cfg = ctx->cfg;

    if (!(cfg->ns_flags & NSD_CLONE_NEWNS))
        return 0;
    /* The copied mount table keeps the host's shared propagation: without
     * this, our /proc mount would show up in the host's mount table. */
    if (mount("", "/", 0, MS_REC | MS_PRIVATE, 0) < 0)
        return fail(step, NSD_STEP_MOUNT_PRIVATE);

    if (cfg->rootfs) {
        if (pivot_into_rootfs(cfg, step) < 0)
            return -1;
    } else if (cfg->mount_proc) {
        if (mount("proc", "/proc", "proc", PROC_FLAGS, 0) < 0)
            return fail(step, NSD_STEP_MOUNT_PROC);
    }
    /* Only the root mount itself; /proc and other submounts keep theirs. */
    if (cfg->readonly_rootfs && nsd_raw_mount_readonly("/") < 0)
        return fail(step, NSD_STEP_READONLY);
    return 0;
}
