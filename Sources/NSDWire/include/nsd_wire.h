/*
 * nsd_wire.h — the protocol between the server's shim (Sources/CNamespace)
 * and its spawner process (Sources/nsd-init).
 *
 * A SOCK_STREAM socketpair; the spawner has its end on fd 3. One request
 * at a time (the server serialises them): a header sent with the request's
 * fds (SCM_RIGHTS), then body_len bytes: the config, encoded by
 * nsd_wire_encode_* and read back in place by nsd_wire_decode_*. Both ends
 * are built from the same tree; the version guards against a stale
 * nsd-init next to a newer server.
 * Reply: one nsd_wire_reply, with fds (see nsd_wire_kind).
 */
#ifndef NSD_WIRE_H
#define NSD_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nsd_config.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NSD_WIRE_MAGIC 0x6e736431u /* "nsd1" */
#define NSD_WIRE_VERSION 4u
#define NSD_WIRE_MAX_BODY (64u << 20)
#define NSD_WIRE_MAX_FDS (4 + 1 + NSD_MAX_CGROUP_PROCS + NSD_MAX_JOINS)
#define NSD_SPAWNER_FD 3

enum nsd_wire_kind {
    /* fds: stdout, stderr[, exit record], then the cgroup's (nsd_cgroup:
     * the directory if any, then the cgroup.procs files), then one per
     * joined namespace. Reply fds on success: the init's pidfd, the read
     * end of its error pipe (EOF: the command exec'd). */
    NSD_WIRE_SPAWN = 1,
    /* fds: the sandbox init's pidfd, stdout, stderr, then the cgroup's. Reply fds on success:
     * the helper's pidfd, the read end of its error/report pipe. */
    NSD_WIRE_EXEC = 2,
    /* No fds. Reply on success: for a pid namespace, the keeper's pid and
     * pidfd (the server's child); otherwise pid 0 and no fd. */
    NSD_WIRE_HOLD = 3,
};

struct nsd_wire_header {
    uint32_t magic;
    uint32_t version;
    uint32_t kind;
    uint32_t body_len;
    uint32_t nfds;
    uint32_t reserved;
};

/* status 0: started; pid is the process the server now owns (the init, or
 * the exec helper), both its children thanks to CLONE_PARENT.
 * status -1: failed at `step` with `err` (and `index`, see nsd_report). If
 * pid > 0 the process exists anyway (it failed after clone3): its pidfd
 * comes as the only fd, and the server kills and reaps it. */
struct nsd_wire_reply {
    int32_t status;
    int32_t step;
    int32_t err;
    int32_t index;
    int32_t pid;
};

/* A growing, malloc'd request body. */
struct nsd_wire_buf {
    char *_Nullable data;
    size_t len, cap;
    int failed; /* errno: out of memory, or over NSD_WIRE_MAX_BODY */
};
void nsd_wire_buf_free(struct nsd_wire_buf *_Nonnull b);

/* Arrays a decoded config points to (strings point into the body itself). */
struct nsd_wire_arena {
    void *_Nullable blocks[16];
    int n;
};
void nsd_wire_arena_free(struct nsd_wire_arena *_Nonnull a);

/* Encode everything but the fds; 0, or -1 with b->failed set. */
int nsd_wire_encode_spawn(const struct nsd_spawn_config *_Nonnull cfg, struct nsd_wire_buf *_Nonnull b);
int nsd_wire_encode_exec(const struct nsd_exec_config *_Nonnull cfg, struct nsd_wire_buf *_Nonnull b);
int nsd_wire_encode_hold(const struct nsd_hold_config *_Nonnull cfg, struct nsd_wire_buf *_Nonnull b);
/* Decode a whole body; 0, or -1 (EINVAL) when it is malformed. The fd
 * members are -1 (the caller fills them from the received fds), except that
 * exit_record_fd is 0 when the sender had one; cgroup.has_dir and
 * cgroup.nprocs say which cgroup fds follow, njoins how many namespace fds
 * follow those (join_fds are -1). The config stays valid as long
 * as body and arena. */
int nsd_wire_decode_spawn(const char *_Nonnull body, size_t len, struct nsd_spawn_config *_Nonnull cfg,
                          struct nsd_wire_arena *_Nonnull arena);
int nsd_wire_decode_exec(const char *_Nonnull body, size_t len, struct nsd_exec_config *_Nonnull cfg,
                         struct nsd_wire_arena *_Nonnull arena);
/* The cgroup's fds in wire order into fds; their count. */
int nsd_wire_cgroup_fds(const struct nsd_cgroup *_Nonnull c, int *_Nonnull fds);
/* Fills the cgroup's fds from received ones (as counted by the decoded
 * config); the number taken, or -1 when fewer than needed are left. */
int nsd_wire_take_cgroup_fds(struct nsd_cgroup *_Nonnull c, const int *_Nonnull fds, int nfds);
int nsd_wire_decode_hold(const char *_Nonnull body, size_t len, struct nsd_hold_config *_Nonnull cfg,
                         struct nsd_wire_arena *_Nonnull arena);

/* One sendmsg of `len` bytes with `nfds` descriptors attached (SCM_RIGHTS),
 * retried on EINTR; the bytes sent, or -1. */
ssize_t nsd_send_with_fds(int sock, const void *_Nonnull data, size_t len, const int *_Nullable fds,
                          int nfds);
/* One recvmsg of up to `len` bytes; descriptors that came with it are
 * stored O_CLOEXEC into fds (at most maxfds; extra ones are closed) and
 * counted in *nfds. The bytes read (0: EOF), or -1 (a truncated control
 * message is EPROTO). */
ssize_t nsd_recv_with_fds(int sock, void *_Nonnull data, size_t len, int *_Nonnull fds, int maxfds,
                          int *_Nonnull nfds);
/* Read exactly len bytes; 0, or -1 (EOF is EPIPE). */
int nsd_read_full(int fd, void *_Nonnull data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* NSD_WIRE_H */
