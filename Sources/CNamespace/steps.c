/* steps.c — names of the child- and spawner-side steps, as the API's `detail` shows them. */
#include "nsd_internal.h"

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
    [NSD_STEP_CLONE3] = "clone3",
    [NSD_STEP_PIPE] = "pipe",
    [NSD_STEP_UID_MAP] = "uid_map",
    [NSD_STEP_GID_MAP] = "gid_map",
    [NSD_STEP_OPEN_TIME] = "open time_for_children",
    [NSD_STEP_REQUEST] = "nsd-init request",
};

const char *nsd_step_name(int step)
{
    if (step < 0 || step >= NSD_STEP_COUNT || names[step] == 0)
        return "unknown";
    return names[step];
}
