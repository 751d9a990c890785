/* steps.c — names of the child- and spawner-side steps, as the API's `step` shows them: stable
 * snake_case values a client can switch on (docs/api.md lists them; api/openapi.yaml's StepName
 * is the same list). Where a step works on a path, the problem's `detail` names it. */
#include "nsd_steps.h"

static const char *const names[NSD_STEP_COUNT] = {
    [NSD_STEP_SYNC] = "sync",
    [NSD_STEP_SETGROUPS] = "setgroups",
    [NSD_STEP_SETRESGID] = "setresgid",
    [NSD_STEP_SETRESUID] = "setresuid",
    [NSD_STEP_DUMPABLE] = "dumpable",
    [NSD_STEP_MOUNT_PRIVATE] = "mount_private",
    [NSD_STEP_BIND_ROOTFS] = "rootfs",
    [NSD_STEP_CHDIR_ROOTFS] = "rootfs",
    [NSD_STEP_MOUNT_PROC] = "mount_proc",
    [NSD_STEP_PIVOT_ROOT] = "pivot_root",
    [NSD_STEP_UMOUNT_OLDROOT] = "umount_old_root",
    [NSD_STEP_READONLY] = "readonly_rootfs",
    [NSD_STEP_SETHOSTNAME] = "sethostname",
    [NSD_STEP_SETDOMAINNAME] = "setdomainname",
    [NSD_STEP_LO_UP] = "lo_up",
    [NSD_STEP_UNSHARE_TIME] = "unshare_time",
    [NSD_STEP_TIMENS_OFFSETS] = "timens_offsets",
    [NSD_STEP_CHDIR] = "chdir",
    [NSD_STEP_SUBREAPER] = "subreaper",
    [NSD_STEP_FORK] = "fork",
    [NSD_STEP_STDIO] = "stdio",
    [NSD_STEP_CLOSE_RANGE] = "close_range",
    [NSD_STEP_NO_NEW_PRIVS] = "no_new_privs",
    [NSD_STEP_EXEC] = "execve",
    [NSD_STEP_SETNS_TIME] = "setns_time",
    [NSD_STEP_SETNS] = "setns",
    [NSD_STEP_MOUNT_DEV] = "mount_dev",
    [NSD_STEP_DEV_NODE] = "device_node",
    [NSD_STEP_MOUNT_DEVPTS] = "mount_devpts",
    [NSD_STEP_MOUNT_SHM] = "mount_shm",
    [NSD_STEP_MOUNT_MQUEUE] = "mount_mqueue",
    [NSD_STEP_MOUNT_TMP] = "mount_tmp",
    [NSD_STEP_MASK] = "mask_path",
    [NSD_STEP_READONLY_PATH] = "readonly_path",
    [NSD_STEP_MOUNT_TARGET] = "mount_target",
    [NSD_STEP_MOUNT_BIND] = "mount_bind",
    [NSD_STEP_MOUNT_TMPFS] = "mount_tmpfs",
    [NSD_STEP_RLIMIT] = "setrlimit",
    [NSD_STEP_CAPBSET] = "capability_bounding",
    [NSD_STEP_AMBIENT] = "capability_ambient",
    [NSD_STEP_CAPSET] = "capset",
    [NSD_STEP_SECCOMP] = "seccomp",
    [NSD_STEP_CLONE3] = "clone3",
    [NSD_STEP_PIPE] = "pipe",
    [NSD_STEP_UID_MAP] = "uid_map",
    [NSD_STEP_GID_MAP] = "gid_map",
    [NSD_STEP_OPEN_TIME] = "open_time_ns",
    [NSD_STEP_REQUEST] = "init_request",
    [NSD_STEP_JOIN_CGROUP] = "join_cgroup",
    [NSD_STEP_UNSHARE_CGROUP] = "unshare_cgroup",
    [NSD_STEP_UNSHARE] = "unshare",
    [NSD_STEP_BIND_NS] = "bind_namespace",
    [NSD_STEP_DETACH] = "detach_held_directory",
    [NSD_STEP_SETNS_PID] = "setns_pid",
    [NSD_STEP_SETNS_USER] = "setns_user",
};

const char *nsd_step_name(int step)
{
    if (step < 0 || step >= NSD_STEP_COUNT || names[step] == 0)
        return "unknown";
    return names[step];
}
