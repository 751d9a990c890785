/*
 * nsd_internal.h — private to the shim and nsd-init (not exported to Swift):
 * the step names a failure is reported under, the (step, errno) report a
 * child writes on its error pipe, and the wire format between the server
 * (Sources/CNamespace) and its spawner process (Sources/nsd-init).
 *
 * Both targets compile this header (nsd-init by relative path: SwiftPM
 * gives it no dependency on CNamespace), and both are always built from
 * the same tree, so the layout needs no versioning beyond a magic number.
 */
#ifndef NSD_INTERNAL_H
#define NSD_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include "include/ns_spawn.h"

#define NSD_ALL_NS                                                        \
    ((uint64_t)(NSD_CLONE_NEWTIME | NSD_CLONE_NEWNS | NSD_CLONE_NEWCGROUP | \
                NSD_CLONE_NEWUTS | NSD_CLONE_NEWIPC | NSD_CLONE_NEWUSER |   \
                NSD_CLONE_NEWPID | NSD_CLONE_NEWNET))

/* Steps a child (or the spawner) can fail at; sent as an index (not a
 * pointer) so the report is plain data. Names are in steps.c. */
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
    /* Spawner side (nsd-init, before or right after its clone3). */
    NSD_STEP_CLONE3,
    NSD_STEP_PIPE,
    NSD_STEP_UID_MAP,
    NSD_STEP_GID_MAP,
    NSD_STEP_OPEN_TIME,
    NSD_STEP_REQUEST,
    NSD_STEP_COUNT
};

const char *nsd_step_name(int step);

/* What a failing child writes to the error pipe (one atomic write). */
struct nsd_report {
    int32_t step;
    int32_t err;
};

/* ---- server <-> spawner (nsd-init) protocol ----
 * A SOCK_STREAM socketpair; the spawner has its end on fd 3. One request at
 * a time (the server serialises them): a header, sent with its fds
 * (SCM_RIGHTS), then body_len bytes of NUL-terminated strings:
 *   path, argv[argc], envp[envc], then each optional string whose bit is
 *   set in `present`, in NSD_WIRE_* order.
 * Reply: one nsd_wire_reply, with fds (see below).
 */
#define NSD_WIRE_MAGIC 0x6e736431u          /* "nsd1" */
#define NSD_WIRE_MAX_BODY (64u << 20)
#define NSD_WIRE_MAX_FDS 4
#define NSD_SPAWNER_FD 3

enum nsd_wire_kind {
    /* fds: stdout, stderr[, exit record]. Reply fds on success: the init's
     * pidfd, the read end of its error pipe (EOF: the command exec'd). */
    NSD_WIRE_SPAWN = 1,
    /* fds: the sandbox init's pidfd, stdout, stderr. Reply fds on success:
     * the helper's pidfd, the read end of its error/report pipe. */
    NSD_WIRE_EXEC = 2,
};

enum {
    NSD_WIRE_HOSTNAME = 1u << 0,
    NSD_WIRE_DOMAINNAME = 1u << 1,
    NSD_WIRE_UID_MAP = 1u << 2,
    NSD_WIRE_GID_MAP = 1u << 3,
    NSD_WIRE_ROOTFS = 1u << 4,
    NSD_WIRE_CWD = 1u << 5,
};

struct nsd_wire_req {
    uint32_t magic;
    uint32_t kind;
    uint32_t body_len;
    uint32_t nfds;
    uint64_t ns_flags;
    int64_t time_offset_monotonic;
    int64_t time_offset_boottime;
    uint32_t uid;
    uint32_t gid;
    uint32_t argc;
    uint32_t envc;
    uint32_t present;
    int32_t setgroups_deny;
    int32_t readonly_rootfs;
    int32_t mount_proc;
    int32_t has_record;     /* spawn: a third fd (the exit record) follows */
    int32_t pid;            /* exec: host pid of the sandbox init */
};

/* status 0: started; pid is the process the server now owns (the init, or
 * the exec helper), both its children thanks to CLONE_PARENT.
 * status -1: failed at `step` with `err`. If pid > 0 the process exists
 * anyway (it failed after clone3): its pidfd comes as the only fd, and the
 * server kills and reaps it. */
struct nsd_wire_reply {
    int32_t status;
    int32_t step;
    int32_t err;
    int32_t pid;
};

/* One sendmsg of `len` bytes with `nfds` descriptors attached (SCM_RIGHTS), retried on EINTR;
 * the bytes sent, or -1. Shared by the server's shim and the spawner. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
static inline ssize_t nsd_send_with_fds(int sock, const void *data, size_t len, const int *fds, int nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * NSD_WIRE_MAX_FDS)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    if (nfds > 0) {
        struct cmsghdr *c;
        memset(&ctl, 0, sizeof ctl);
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    do {
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
}

#endif /* NSD_INTERNAL_H */
