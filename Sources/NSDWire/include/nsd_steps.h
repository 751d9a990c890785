/*
 * nsd_steps.h — the steps a sandbox start or an exec can fail at, and the
 * (step, errno) report a child writes on its close-on-exec error pipe.
 */
#ifndef NSD_STEPS_H
#define NSD_STEPS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Sent as an index (not a pointer) so the report is plain data. Names are
 * in steps.c: they are the API's stable `step` values. */
enum nsd_step {
    NSD_STEP_SYNC,
    NSD_STEP_SETGROUPS,
    NSD_STEP_SETRESGID,
    NSD_STEP_SETRESUID,
    NSD_STEP_DUMPABLE,
    NSD_STEP_MOUNT_PRIVATE,
    NSD_STEP_BIND_ROOTFS,
    NSD_STEP_CHDIR_ROOTFS,
    NSD_STEP_MOUNT_PROC,
    NSD_STEP_PIVOT_ROOT,
    NSD_STEP_UMOUNT_OLDROOT,
    NSD_STEP_READONLY,
    NSD_STEP_SETHOSTNAME,
    NSD_STEP_SETDOMAINNAME,
    NSD_STEP_LO_UP,
    NSD_STEP_UNSHARE_TIME,
    NSD_STEP_TIMENS_OFFSETS,
    NSD_STEP_CHDIR,
    NSD_STEP_SUBREAPER,
    NSD_STEP_FORK,
    NSD_STEP_STDIO,
    NSD_STEP_CLOSE_RANGE,
    NSD_STEP_NO_NEW_PRIVS,
    NSD_STEP_EXEC,
    NSD_STEP_SETNS_TIME,
    NSD_STEP_SETNS,
    /* The confined view (mounts.c, view.c). */
    NSD_STEP_MOUNT_DEV,
    NSD_STEP_DEV_NODE,
    NSD_STEP_MOUNT_DEVPTS,
    NSD_STEP_MOUNT_SHM,
    NSD_STEP_MOUNT_MQUEUE,
    NSD_STEP_MOUNT_TMP,
    NSD_STEP_MASK,
    NSD_STEP_READONLY_PATH,
    NSD_STEP_MOUNT_TARGET,
    NSD_STEP_MOUNT_BIND,
    NSD_STEP_MOUNT_TMPFS,
    /* The command's confinement (confine.c). */
    NSD_STEP_RLIMIT,
    NSD_STEP_CAPBSET,
    NSD_STEP_AMBIENT,
    NSD_STEP_CAPSET,
    NSD_STEP_SECCOMP,
    /* Spawner side (nsd-init, before or right after its clone3). */
    NSD_STEP_CLONE3,
    NSD_STEP_PIPE,
    NSD_STEP_UID_MAP,
    NSD_STEP_GID_MAP,
    NSD_STEP_OPEN_TIME,
    NSD_STEP_REQUEST,
    /* Cgroups (the init or exec helper, first thing). */
    NSD_STEP_JOIN_CGROUP,
    NSD_STEP_UNSHARE_CGROUP,
    /* Held namespaces (hold.c) and joins (join.c). */
    NSD_STEP_UNSHARE,
    NSD_STEP_BIND_NS,
    NSD_STEP_DETACH,
    NSD_STEP_SETNS_PID,
    NSD_STEP_SETNS_USER,
    NSD_STEP_COUNT
};

const char *nsd_step_name(int step);

/* What a failing child writes to the error pipe (one atomic write).
 * `index` names the entry of a list the step worked on (the spec's mounts,
 * the masked paths), or -1. */
struct nsd_report {
    int32_t step;
    int32_t err;
    int32_t index;
};

/* A report whose step is NSD_MSG_PID is no failure: the exec helper tells
 * the command's host pid in `err`. */
#define NSD_MSG_PID (-2)
/* A report whose step is NSD_MSG_INODES is no failure either: the sandbox
 * init tells the inodes of its namespaces, once they all exist and before
 * its command can run (and end, and take them along). `index` is
 * NSD_NS_COUNT and the inodes follow in the same write, in the order
 * mnt uts ipc pid net user cgroup time (time: the one its children get);
 * 0 where one could not be read. */
#define NSD_MSG_INODES (-3)
#define NSD_NS_COUNT 8
struct nsd_inodes_report {
    struct nsd_report head;
    uint32_t reserved;
    uint64_t inode[NSD_NS_COUNT];
};
/* ...nor is NSD_MSG_READY: a hold child has made its namespace. */
#define NSD_MSG_READY (-4)

#ifdef __cplusplus
}
#endif

#endif /* NSD_STEPS_H */
