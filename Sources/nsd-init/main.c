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
 * Protocol: see ../CNamespace/nsd_internal.h. The server's end of the
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

/* Read exactly len bytes; 0 on success, -1 on error or EOF. */
static int read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The header and its fds. 1: got one; 0: EOF (the server is gone); -1: error. */
static int recv_header(int sock, struct nsd_wire_req *req, int *fds, int *nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * NSD_WIRE_MAX_FDS)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = req, .iov_len = sizeof *req };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
    struct cmsghdr *c;
    ssize_t n;

    *nfds = 0;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n == 0)
        return 0;
    if (n < 0)
        return -1;
    for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (*nfds < NSD_WIRE_MAX_FDS)
                    fds[(*nfds)++] = fd;
                else
                    close(fd);
            }
        }
    }
    if (msg.msg_flags & MSG_CTRUNC)
        return -1;
    /* The fds came with the first bytes; the rest of the header may lag. */
    if ((size_t)n < sizeof *req && read_full(sock, (char *)req + n, sizeof *req - (size_t)n) < 0)
        return -1;
    return 1;
}

/* Next NUL-terminated string of the body, or NULL when it runs out. */
static char *next_string(char **cur, char *end)
{
    char *s = *cur, *nul;
    if (s >= end || (nul = memchr(s, 0, (size_t)(end - s))) == NULL)
        return NULL;
    *cur = nul + 1;
    return s;
}

/* Decode the body in place; the arrays are malloc'd (freed by the caller). */
static int decode(const struct nsd_wire_req *req, char *body, struct nsd_wire_strings *s)
{
    char *cur = body, *end = body + req->body_len;
    char **opt[] = { &s->hostname, &s->domainname, &s->uid_map, &s->gid_map, &s->rootfs, &s->cwd };

    memset(s, 0, sizeof *s);
    if (req->argc > req->body_len || req->envc > req->body_len)
        return -1;
    s->argv = calloc((size_t)req->argc + 1, sizeof(char *));
    s->envp = calloc((size_t)req->envc + 1, sizeof(char *));
    if (!s->argv || !s->envp || !(s->path = next_string(&cur, end)))
        return -1;
    for (uint32_t i = 0; i < req->argc; i++)
        if (!(s->argv[i] = next_string(&cur, end)))
            return -1;
    for (uint32_t i = 0; i < req->envc; i++)
        if (!(s->envp[i] = next_string(&cur, end)))
            return -1;
    for (unsigned i = 0; i < sizeof opt / sizeof opt[0]; i++)
        if ((req->present & (1u << i)) && !(*opt[i] = next_string(&cur, end)))
            return -1;
    return cur == end ? 0 : -1;
}

/* One request. 0: answered (successfully or not); -1: the socket is gone
 * or the server broke the protocol, so stop. */
static int serve(int sock, int devnull)
{
    struct nsd_wire_req req;
    struct nsd_wire_strings s;
    int fds[NSD_WIRE_MAX_FDS], nfds, rc, want;
    char *body = NULL;

    rc = recv_header(sock, &req, fds, &nfds);
    if (rc <= 0) {
        for (int i = 0; i < nfds; i++)
            close(fds[i]);
        return -1;
    }
    want = req.kind == NSD_WIRE_SPAWN ? 2 + (req.has_record != 0) : 3;
    if (req.magic != NSD_WIRE_MAGIC || (req.kind != NSD_WIRE_SPAWN && req.kind != NSD_WIRE_EXEC) ||
        req.body_len > NSD_WIRE_MAX_BODY || (int)req.nfds != nfds || nfds != want) {
        rc = -1;
        goto out;
    }
    body = malloc(req.body_len ? req.body_len : 1);
    if (!body || read_full(sock, body, req.body_len) < 0) {
        rc = -1;
        goto out;
    }
    if (decode(&req, body, &s) < 0)
        rc = nsd_send_reply(sock, -1, NSD_STEP_REQUEST, EINVAL, 0, 0, 0);
    else if (req.kind == NSD_WIRE_SPAWN)
        rc = nsd_handle_spawn(sock, devnull, &req, &s, fds);
    else
        rc = nsd_handle_exec(sock, devnull, &req, &s, fds);
    free(s.argv);
    free(s.envp);
out:
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
