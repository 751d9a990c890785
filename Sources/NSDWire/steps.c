/* steps.c — names of the child- and spawner-side steps, as the API's `step` shows them. */
#include "nsd_steps.h"

static const char *const names[NSD_STEP_COUNT] = {
    [NSD_STEP_SYNC] = "sync",
    [NSD_STEP_SETGROUPS] = "setgroups",
    [NSD_STEP_SETRESGID] = "setresgid",
    [NSD_STEP_SETRESUID] = "setresuid",
    [NSD_STEP_DUMPABLE] = "prctl dumpable",
    [NSD_STEP_MOUNT_PRIVATE] = "mount private /",
    [NSD_STEP_BIND_ROOTFS] = "bind rootfs",
    [NSD_STEP_CHDIR_ROOTFS] = "chdir rootfs",
    [NSD_STEP_MOUNT_PROC] = "mount /proc",
    [NSD_STEP_PIVOT_ROOT] = "pivot_root",
    [NSD_STEP_UMOUNT_OLDROOT] = "umount old root",
    [NSD_STEP_READONLY] = "readonly rootfs",
    [NSD_STEP_SETHOSTNAME] = "sethostname",
    [NSD_STEP_SETDOMAINNAME] = "setdomainname",
    [NSD_STEP_LO_UP] = "lo up",
    [NSD_STEP_UNSHARE_TIME] = "unshare time",
    [NSD_STEP_TIMENS_OFFSETS] = "timens_offsets",
    [NSD_STEP_CHDIR] = "chdir",
    [NSD_STEP_SUBREAPER] = "prctl subreaper",
    [NSD_STEP_FORK] = "fork",
    [NSD_STEP_STDIO] = "stdio",
    [NSD_STEP_CLOSE_RANGE] = "close_range",
    [NSD_STEP_NO_NEW_PRIVS] = "no_new_privs",
    [NSD_STEP_EXEC] = "exec",
    [NSD_STEP_SETNS_TIME] = "setns time",
    [NSD_STEP_SETNS] = "setns",
    [NSD_STEP_MOUNT_DEV] = "mount /dev",
    [NSD_STEP_DEV_NODE] = "bind device node",
    [NSD_STEP_MOUNT_DEVPTS] = "mount /dev/pts",
    [NSD_STEP_MOUNT_SHM] = "mount /dev/shm",
    [NSD_STEP_MOUNT_MQUEUE] = "mount /dev/mqueue",
    [NSD_STEP_MOUNT_TMP] = "mount /tmp",
    [NSD_STEP_MASK] = "mask path",
    [NSD_STEP_READONLY_PATH] = "read-only path",
    [NSD_STEP_MOUNT_TARGET] = "create mount target",
    [NSD_STEP_MOUNT_BIND] = "bind mount",
    [NSD_STEP_MOUNT_TMPFS] = "mount tmpfs",
    [NSD_STEP_RLIMIT] = "setrlimit",
    [NSD_STEP_CAPBSET] = "drop bounding capabilities",
    [NSD_STEP_AMBIENT] = "clear ambient capabilities",
    [NSD_STEP_CAPSET] = "capset",
    [NSD_STEP_SECCOMP] = "seccomp filter",
    [NSD_STEP_CLONE3] = "clone3",
    [NSD_STEP_PIPE] = "pipe",
    [NSD_STEP_UID_MAP] = "uid_map",
    [NSD_STEP_GID_MAP] = "gid_map",
    [NSD_STEP_OPEN_TIME] = "open time_for_children",
    [NSD_STEP_REQUEST] = "nsd-init request",
    [NSD_STEP_JOIN_CGROUP] = "join cgroup",
    [NSD_STEP_UNSHARE_CGROUP] = "unshare cgroup",
};

const char *nsd_step_name(int step)
{
    if (step < 0 || step >= NSD_STEP_COUNT || names[step] == 0)
        return "unknown";
    return names[step];
}
