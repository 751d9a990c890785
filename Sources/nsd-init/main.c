/* nsd-init — the spawner of namespaced, and (as its forked copies) the
 * first process of every sandbox.
 *
 * Why a separate process: the server is a ~40 MiB multi-threaded Swift
 * process. Cloning a sandbox straight out of it copies its address space
 * (page tables, COW faults, then exit_mmap), and the init then forked the
 * command, copying it again. Exec'ing a fresh helper per sandbox avoids the
 * copy but costs ~1 ms here: SwiftPM links every executable, C ones too,
 * against libswiftCore, whose loading dominates a small program's exec.
 * So the server vfork-execs this program once (no copy: CLONE_VM), and asks
 * it over a socket for every sandbox and every exec. Each sandbox init is
 * a clone3 of this small single-threaded process (CLONE_PARENT: still the
 * server's child, reaped by it), and forks its command from its own small
 * address space in turn. Its command line is ours: "nsd-init".
 *
 * Protocol: see nsd_wire.h (the NSDWire target). The server's end of the
 * socket is on fd 3; EOF on it (the server exited) ends the spawner.
 * Sandboxes never depend on the spawner: they are the server's children,
 * and outlive both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init.h"

/* The header and its fds. 1: got one; 0: EOF (the server is gone); -1: error. */
static int recv_header(int sock, struct nsd_wire_header *hdr, int *fds, int *nfds)
{
    ssize_t n = nsd_recv_with_fds(sock, hdr, sizeof *hdr, fds, NSD_WIRE_MAX_FDS, nfds);

    if (n <= 0)
        return (int)n;
    /* The fds came with the first bytes; the rest of the header may lag. */
    if ((size_t)n < sizeof *hdr && nsd_read_full(sock, (char *)hdr + n, sizeof *hdr - (size_t)n) < 0)
        return -1;
    return 1;
}

/* How many fds a request carries at least: spawn has stdout, stderr, then
 * maybe the exit record; exec has the init's pidfd, stdout and stderr; hold
 * has none. The cgroup's follow, then one per joined namespace; the decoded
 * config says how many (dispatch checks). */
static int valid_header(const struct nsd_wire_header *hdr, int nfds)
{
    if (hdr->magic != NSD_WIRE_MAGIC || hdr->version != NSD_WIRE_VERSION ||
        hdr->body_len > NSD_WIRE_MAX_BODY || (int)hdr->nfds != nfds)
        return 0;
    if (hdr->kind == NSD_WIRE_HOLD)
        return nfds == 0;
    return (hdr->kind == NSD_WIRE_SPAWN && nfds >= 2) || (hdr->kind == NSD_WIRE_EXEC && nfds >= 3);
}

static int dispatch(int sock, int devnull, const struct nsd_wire_header *hdr, const char *body,
                    const int *fds, int nfds)
{
    struct nsd_wire_arena arena = { 0 };
    int rc;

    if (hdr->kind == NSD_WIRE_SPAWN) {
        struct nsd_spawn_config cfg;
        int own = 2, taken;
        if (nsd_wire_decode_spawn(body, hdr->body_len, &cfg, &arena) < 0)
            return nsd_send_reply(sock, -1, NSD_STEP_REQUEST, EINVAL, -1, 0, 0, 0);
        own += cfg.exit_record_fd >= 0;
        taken = nsd_wire_take_cgroup_fds(&cfg.cgroup, fds + own, nfds - own);
        if (taken < 0 || nfds != own + taken + (int)cfg.njoins) {
            nsd_wire_arena_free(&arena);
            return nsd_send_reply(sock, -1, NSD_STEP_REQUEST, EINVAL, -1, 0, 0, 0);
        }
        cfg.stdout_fd = fds[0];
        cfg.stderr_fd = fds[1];
        cfg.exit_record_fd = cfg.exit_record_fd >= 0 ? fds[2] : -1;
        for (uint32_t i = 0; i < cfg.njoins; i++)
            cfg.join_fds[i] = fds[own + taken + (int)i];
        rc = nsd_handle_spawn(sock, devnull, &cfg);
    } else if (hdr->kind == NSD_WIRE_HOLD) {
        struct nsd_hold_config cfg;
        if (nsd_wire_decode_hold(body, hdr->body_len, &cfg, &arena) < 0)
            return nsd_send_reply(sock, -1, NSD_STEP_REQUEST, EINVAL, -1, 0, 0, 0);
        rc = nsd_handle_hold(sock, devnull, &cfg);
    } else {
        struct nsd_exec_config cfg;
        if (nsd_wire_decode_exec(body, hdr->body_len, &cfg, &arena) < 0)
            return nsd_send_reply(sock, -1, NSD_STEP_REQUEST, EINVAL, -1, 0, 0, 0);
        if (nsd_wire_take_cgroup_fds(&cfg.cgroup, fds + 3, nfds - 3) != nfds - 3) {
            nsd_wire_arena_free(&arena);
            return nsd_send_reply(sock, -1, NSD_STEP_REQUEST, EINVAL, -1, 0, 0, 0);
        }
        cfg.pidfd = fds[0];
        cfg.stdout_fd = fds[1];
        cfg.stderr_fd = fds[2];
        rc = nsd_handle_exec(sock, devnull, &cfg);
    }
    nsd_wire_arena_free(&arena);
    return rc;
}

/* One request. 0: answered (successfully or not); -1: the socket is gone
 * or the server broke the protocol, so stop. */
static int serve(int sock, int devnull)
{
    struct nsd_wire_header hdr;
    int fds[NSD_WIRE_MAX_FDS], nfds, rc;
    char *body = NULL;

    rc = recv_header(sock, &hdr, fds, &nfds);
    if (rc <= 0) {
        for (int i = 0; i < nfds; i++)
            close(fds[i]);
        return -1;
    }
    rc = -1;
    if (valid_header(&hdr, nfds) && (body = malloc(hdr.body_len ? hdr.body_len : 1)) &&
        nsd_read_full(sock, body, hdr.body_len) == 0)
        rc = dispatch(sock, devnull, &hdr, body, fds, nfds);
    free(body);
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    return rc;
}

int main(int argc, char **argv)
{
    struct stat st;
    sigset_t none;
    int devnull;

    (void)argv;
    if (argc != 1 || fstat(NSD_SPAWNER_FD, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        fputs("nsd-init: started by namespaced only (its socket on fd 3)\n", stderr);
        return 2;
    }
    /* ps tells the spawner from the sandbox inits (which rename themselves
     * back to "nsd-init"); the orphan scan looks for the latter only. */
    (void)prctl(PR_SET_NAME, "nsd-spawner", 0, 0, 0);
    /* The server blocks every signal around our start; its dispositions are
     * gone with the exec, its fds were CLOEXEC (0..2 stay, as for a child). */
    nsd_default_dispositions();
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, 0);
    close_range(NSD_SPAWNER_FD + 1, ~0U, 0);
    /* stdin of every command: opened here, once; a rootfs may lack /dev. */
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) {
        perror("nsd-init: /dev/null");
        return 1;
    }
    while (serve(NSD_SPAWNER_FD, devnull) == 0)
        ;
    return 0;
}
