/* spawner.c — the server's end of nsd-init, the process that clones every
 * sandbox init and exec helper (see Sources/nsd-init/main.c for why).
 *
 * Started on first use: vfork-style (CLONE_VM | CLONE_VFORK), so the
 * server's address space is never copied, with its end of a socketpair on
 * fd 3, nsd-init's path next to our own executable (or set explicitly), and
 * an empty environment. One request at a time over the socket (a mutex);
 * the reply comes right after the spawner's clone3, so the lock is held
 * for a few hundred microseconds at most, and each caller then waits for
 * its own child's error pipe in parallel. A spawner found dead (pidfd
 * readable, or EPIPE before the request was out) is reaped and replaced.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

#define STACK_SIZE (64 * 1024)
/* The spawner answers right after its clone3 and map writes. */
#define REPLY_TIMEOUT_MS 30000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int sp_sock = -1;
static int sp_pidfd = -1;
static pid_t sp_pid = -1;
static pid_t sp_owner;  /* the process that started it (fork check) */
static char *init_path; /* explicit path; NULL: next to our executable */

/* ---- lifecycle ---- */

/* In a forked child the spawner is our parent's child, not ours: drop our
 * copies of its fds and start our own when needed. */
static void forget(void)
{
    if (sp_sock >= 0)
        close(sp_sock);
    if (sp_pidfd >= 0)
        close(sp_pidfd);
    sp_sock = sp_pidfd = -1;
    sp_pid = -1;
}

static void on_fork_prepare(void) { pthread_mutex_lock(&lock); }
static void on_fork_parent(void) { pthread_mutex_unlock(&lock); }
static void on_fork_child(void)
{
    forget();
    pthread_mutex_unlock(&lock);
}

static void setup_once(void) { pthread_atfork(on_fork_prepare, on_fork_parent, on_fork_child); }

static void stop_locked(void)
{
    int saved = errno, status;

    if (sp_sock < 0)
        return;
    if (sp_owner != getpid()) {
        forget();
        errno = saved;
        return;
    }
    close(sp_sock);                                          /* EOF: it exits by itself... */
    syscall(SYS_pidfd_send_signal, sp_pidfd, SIGKILL, 0, 0); /* ...now */
    while (waitpid(sp_pid, &status, __WALL) < 0 && errno == EINTR)
        ;
    close(sp_pidfd);
    sp_sock = sp_pidfd = -1;
    sp_pid = -1;
    errno = saved;
}

static int exited(void)
{
    struct pollfd p = { .fd = sp_pidfd, .events = POLLIN };
    return poll(&p, 1, 0) > 0;
}

/* dirname(/proc/self/exe)/nsd-init: the server, and the test runners, live
 * in the build directory next to it (or the install directory). */
static int resolve_path(char *buf, size_t len)
{
    static const char name[] = "/nsd-init";
    ssize_t n;
    char *slash;

    if (init_path) {
        if (strlen(init_path) >= len) {
            errno = ENAMETOOLONG;
            return -1;
        }
        strcpy(buf, init_path);
        return 0;
    }
    n = readlink("/proc/self/exe", buf, len - sizeof name);
    if (n < 0)
        return -1;
    if ((size_t)n >= len - sizeof name) {
        errno = ENAMETOOLONG;
        return -1;
    }
    buf[n] = 0;
    slash = strrchr(buf, '/');
    if (!slash) {
        errno = ENOENT;
        return -1;
    }
    memcpy(slash, name, sizeof name);
    return 0;
}

struct start_args {
    const char *path;
    int sock;
    volatile int err;
};

/* Runs in the CLONE_VM | CLONE_VFORK child, on its own stack, sharing our
 * memory and the calling thread's TLS; that thread is suspended until we
 * exec or exit, the other threads are not. So: no locks, no allocation, no
 * writes but our stack and *a (read by the parent only after we are gone),
 * every signal blocked (the parent did it), only plain syscall wrappers. */
static int start_child(void *p)
{
    struct start_args *a = p;
    char *argv[] = { (char *)"nsd-init", NULL };
    char *envp[] = { NULL };

    if (a->sock == NSD_SPAWNER_FD) {
        if (fcntl(a->sock, F_SETFD, 0) < 0)
            goto fail;
    } else if (dup2(a->sock, NSD_SPAWNER_FD) < 0) {
        goto fail;
    }
    /* Our other fds are the server's: all CLOEXEC but 0..2, and nsd-init
     * closes anything above 3 it still finds. Its environment is empty: it
     * runs as root before any namespace is set up, so nothing from a
     * sandbox spec (LD_PRELOAD...) may ever reach its loader. */
    execve(a->path, argv, envp);
fail:
    a->err = errno;
    return 127;
}

static int start_locked(const char **step, int *err)
{
    char path[PATH_MAX];
    struct start_args a;
    sigset_t all, old;
    int sv[2], pidfd = -1, e, status;
    void *stack;
    pid_t pid;

    if (resolve_path(path, sizeof path) < 0) {
        *step = "find nsd-init";
        *err = errno;
        return -1;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        *step = "socketpair";
        *err = errno;
        return -1;
    }
    stack =
        mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        *step = "mmap";
        *err = errno;
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    a.path = path;
    a.sock = sv[1];
    a.err = 0;
    /* No handler of the server may run in the child before its exec. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = clone(start_child, (char *)stack + STACK_SIZE, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
                &a, &pidfd);
    e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    munmap(stack, STACK_SIZE);
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        *step = "clone";
        *err = e;
        return -1;
    }
    if (a.err) {
        e = a.err;
        while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
            ;
        close(pidfd);
        close(sv[0]);
        *step = e == ENOENT ? "find nsd-init" : "exec nsd-init";
        *err = e;
        return -1;
    }
    sp_sock = sv[0];
    sp_pid = pid;
    sp_pidfd = pidfd;
    sp_owner = getpid();
    return 0;
}

/* ---- one exchange ---- */

static int send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int send_request(int sock, const struct nsd_wire_header *hdr, const struct nsd_wire_buf *body,
                        const int *fds, int nfds)
{
    ssize_t n = nsd_send_with_fds(sock, hdr, sizeof *hdr, fds, nfds);

    if (n < 0)
        return -1;
    if ((size_t)n < sizeof *hdr && send_all(sock, (const char *)hdr + n, sizeof *hdr - (size_t)n) < 0)
        return -1;
    return send_all(sock, body->data, body->len);
}

static int recv_reply(int sock, struct nsd_wire_reply *rep, int rfds[2], int *nrfds)
{
    struct pollfd p = { .fd = sock, .events = POLLIN };
    ssize_t n;
    int rc;

    *nrfds = 0;
    do {
        rc = poll(&p, 1, REPLY_TIMEOUT_MS);
    } while (rc < 0 && errno == EINTR);
    if (rc <= 0) {
        if (rc == 0)
            errno = ETIMEDOUT;
        return -1;
    }
    n = nsd_recv_with_fds(sock, rep, sizeof *rep, rfds, 2, nrfds);
    if (n <= 0) {
        if (n == 0)
            errno = EPIPE; /* the spawner died with our request */
        return -1;
    }
    /* The fds came with the first bytes; the rest of the reply may lag. */
    if ((size_t)n < sizeof *rep && nsd_read_full(sock, (char *)rep + n, sizeof *rep - (size_t)n) < 0)
        return -1;
    return 0;
}

int nsd_spawner_call(enum nsd_wire_kind kind, const struct nsd_wire_buf *body, const int *fds, int nfds,
                     struct nsd_wire_reply *rep, int rfds[2], int *nrfds, const char **step, int *err)
{
    struct nsd_wire_header hdr = { .magic = NSD_WIRE_MAGIC,
                                   .version = NSD_WIRE_VERSION,
                                   .kind = kind,
                                   .body_len = (uint32_t)body->len,
                                   .nfds = (uint32_t)nfds };
    int rc = -1;

    *nrfds = 0;
    pthread_once(&once, setup_once);
    pthread_mutex_lock(&lock);
    for (int attempt = 0;; attempt++) {
        if (sp_sock >= 0 && (sp_owner != getpid() || exited()))
            stop_locked();
        if (sp_sock < 0 && start_locked(step, err) < 0)
            break;
        if (send_request(sp_sock, &hdr, body, fds, nfds) < 0) {
            int e = errno;
            stop_locked();
            /* It died before it had the whole request, so it did nothing:
             * start a fresh one, once. */
            if (attempt == 0 && (e == EPIPE || e == ECONNRESET))
                continue;
            *step = "nsd-init request";
            *err = e;
            break;
        }
        if (recv_reply(sp_sock, rep, rfds, nrfds) < 0) {
            /* It may have cloned already: no retry. */
            *err = errno;
            *step = "nsd-init reply";
            for (int i = 0; i < *nrfds; i++)
                close(rfds[i]);
            *nrfds = 0;
            stop_locked();
            break;
        }
        rc = 0;
        break;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

/* ---- public ---- */

int nsd_set_init_path(const char *path)
{
    char *copy = NULL;

    if (path && !(copy = strdup(path)))
        return -1;
    pthread_once(&once, setup_once);
    pthread_mutex_lock(&lock);
    stop_locked();
    free(init_path);
    init_path = copy;
    pthread_mutex_unlock(&lock);
    return 0;
}

pid_t nsd_spawner_pid(void)
{
    pid_t pid;
    pthread_once(&once, setup_once);
    pthread_mutex_lock(&lock);
    pid = sp_sock >= 0 && sp_owner == getpid() ? sp_pid : -1;
    pthread_mutex_unlock(&lock);
    return pid;
}

void nsd_spawner_stop(void)
{
    pthread_once(&once, setup_once);
    pthread_mutex_lock(&lock);
    stop_locked();
    pthread_mutex_unlock(&lock);
}
