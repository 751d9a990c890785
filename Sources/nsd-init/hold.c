/* hold.c — the spawner's side of POST /namespaces: a namespace made on its
 * own and held by an nsfs bind mount, as `ip netns add` holds its own.
 *
 * A forked child unshares the namespace (a new network namespace gets lo
 * up; a new mount namespace drops its copy of the held directory) and waits.
 * The spawner, still in the host's mount namespace and with every
 * privilege, writes a user namespace's maps and bind-mounts
 * /proc/CHILD/ns/TYPE onto the target, then lets the child exit: the bind
 * alone keeps the namespace. A pid namespace cannot be entered without a
 * living pid 1, so it gets a keeper: a clone3 child (CLONE_NEWPID |
 * CLONE_PARENT: the server's child, as a sandbox init is) that only reaps
 * until SIGTERM or SIGKILL; its namespace is bound the same way, for the path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"

/* A child makes its namespace in well under a millisecond. */
#define READY_TIMEOUT_MS 10000

static __attribute__((noreturn)) void fail(int fd, int step)
{
    nsd_report(fd, step, -1);
    _exit(127);
}

static void ready(int fd)
{
    errno = 0;
    nsd_report(fd, NSD_MSG_READY, -1);
}

static int write_offsets(const struct nsd_hold_config *cfg)
{
    char text[96];
    int fd, n, rc;

    n = snprintf(text, sizeof text, "monotonic %lld 0\nboottime %lld 0\n",
                 (long long)cfg->time_offset_monotonic, (long long)cfg->time_offset_boottime);
    fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    rc = write(fd, text, (size_t)n) == n ? 0 : -1;
    close(fd);
    return rc;
}

/* The forked child of a non-pid namespace. */
static __attribute__((noreturn)) void hold_child(const struct nsd_hold_config *cfg, int ready_w,
                                                 int go_r)
{
    int keep[2] = { ready_w, go_r };
    char c;

    nsd_close_all_except(keep, 2);
    if (unshare((int)cfg->ns_flag) < 0)
        fail(ready_w, NSD_STEP_UNSHARE);
    /* Offsets can be set only before the first process enters it; the new
     * time namespace is our children's, and none will ever enter it here. */
    if (cfg->ns_flag == NSD_CLONE_NEWTIME && write_offsets(cfg) < 0)
        fail(ready_w, NSD_STEP_TIMENS_OFFSETS);
    if (cfg->ns_flag == NSD_CLONE_NEWNET && nsd_lo_up() < 0)
        fail(ready_w, NSD_STEP_LO_UP);
    if (cfg->ns_flag == NSD_CLONE_NEWNS) {
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            fail(ready_w, NSD_STEP_MOUNT_PRIVATE);
        if (cfg->detach && umount2(cfg->detach, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
            fail(ready_w, NSD_STEP_DETACH);
    }
    ready(ready_w);
    /* EOF: the spawner has bound the namespace (or given up). */
    while (read(go_r, &c, 1) < 0 && errno == EINTR)
        ;
    _exit(0);
}

/* The pid 1 of a held pid namespace: reaps whoever ends up with it. */
static __attribute__((noreturn)) void keeper(int ready_w, int devnull)
{
    sigset_t all;
    int sig;

    int keep[2] = { ready_w, devnull };

    /* It lives as long as the namespace: nothing of the server's (its
     * stdio included) may stay open in it. */
    nsd_close_all_except(keep, 2);
    (void)prctl(PR_SET_NAME, "nsd-keeper", 0, 0, 0);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    if (devnull > 2)
        close(devnull);
    if (chdir("/") < 0)
        fail(ready_w, NSD_STEP_CHDIR);
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, 0);
    ready(ready_w);
    close(ready_w);
    for (;;) {
        sig = sigwaitinfo(&all, 0);
        if (sig == SIGCHLD)
            while (waitpid(-1, 0, WNOHANG | __WALL) > 0)
                ;
        else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
            _exit(0);
    }
}

/* 0 once the child said it is ready; else -1 with *step and errno. */
static int await_ready(int fd, int *step)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    struct nsd_report r;
    ssize_t n;
    int rc;

    do {
        rc = poll(&p, 1, READY_TIMEOUT_MS);
    } while (rc < 0 && errno == EINTR);
    if (rc <= 0) {
        *step = NSD_STEP_SYNC;
        errno = rc == 0 ? ETIMEDOUT : errno;
        return -1;
    }
    do {
        n = read(fd, &r, sizeof r);
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof r && r.step == NSD_MSG_READY)
        return 0;
    *step = n == (ssize_t)sizeof r ? r.step : NSD_STEP_SYNC;
    errno = n == (ssize_t)sizeof r ? r.err : EPROTO;
    return -1;
}

static const char *ns_link(uint64_t flag)
{
    switch (flag) {
    case NSD_CLONE_NEWNS: return "mnt";
    case NSD_CLONE_NEWUTS: return "uts";
    case NSD_CLONE_NEWIPC: return "ipc";
    case NSD_CLONE_NEWPID: return "pid";
    case NSD_CLONE_NEWNET: return "net";
    case NSD_CLONE_NEWUSER: return "user";
    case NSD_CLONE_NEWCGROUP: return "cgroup";
    case NSD_CLONE_NEWTIME: return "time_for_children";
    default: return NULL;
    }
}

static int bind_ns(pid_t pid, const struct nsd_hold_config *cfg)
{
    char path[64];

    snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, ns_link(cfg->ns_flag));
    return mount(path, cfg->target, NULL, MS_BIND, NULL);
}

static int hold_pid(int sock, int devnull, const struct nsd_hold_config *cfg)
{
    int p[2], pidfd = -1, step, rc;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return nsd_send_reply(sock, -1, NSD_STEP_PIPE, errno, -1, 0, 0, 0);
    pid = nsd_raw_clone3_pidfd(CLONE_NEWPID | CLONE_PIDFD | CLONE_PARENT | NSD_CLONE_CLEAR_SIGHAND,
                               &pidfd, -1);
    if (pid == 0)
        keeper(p[1], devnull);
    close(p[1]);
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        return nsd_send_reply(sock, -1, NSD_STEP_CLONE3, e, -1, 0, 0, 0);
    }
    step = -1;
    if (await_ready(p[0], &step) < 0 || (bind_ns(pid, cfg) < 0 && (step = NSD_STEP_BIND_NS) >= 0)) {
        /* The keeper is the server's child: it kills and reaps it. */
        int e = errno;
        close(p[0]);
        rc = nsd_send_reply(sock, -1, step, e, -1, pid, &pidfd, 1);
        close(pidfd);
        return rc;
    }
    close(p[0]);
    rc = nsd_send_reply(sock, 0, 0, 0, -1, pid, &pidfd, 1);
    close(pidfd);
    return rc;
}

int nsd_handle_hold(int sock, int devnull, const struct nsd_hold_config *cfg)
{
    int ready_p[2], go_p[2], step = -1, e = 0, status;
    pid_t pid;

    if (!ns_link(cfg->ns_flag) || !cfg->target)
        return nsd_send_reply(sock, -1, NSD_STEP_REQUEST, EINVAL, -1, 0, 0, 0);
    if (cfg->ns_flag == NSD_CLONE_NEWPID)
        return hold_pid(sock, devnull, cfg);
    if (pipe2(ready_p, O_CLOEXEC) < 0)
        return nsd_send_reply(sock, -1, NSD_STEP_PIPE, errno, -1, 0, 0, 0);
    if (pipe2(go_p, O_CLOEXEC) < 0) {
        e = errno;
        close(ready_p[0]);
        close(ready_p[1]);
        return nsd_send_reply(sock, -1, NSD_STEP_PIPE, e, -1, 0, 0, 0);
    }
    pid = fork();
    if (pid == 0)
        hold_child(cfg, ready_p[1], go_p[0]);
    e = errno;
    close(ready_p[1]);
    close(go_p[0]);
    if (pid < 0) {
        close(ready_p[0]);
        close(go_p[1]);
        return nsd_send_reply(sock, -1, NSD_STEP_FORK, e, -1, 0, 0, 0);
    }
    if (await_ready(ready_p[0], &step) == 0) {
        if (cfg->uid_map && nsd_write_proc_file(pid, "uid_map", cfg->uid_map) < 0)
            step = NSD_STEP_UID_MAP;
        else if (cfg->gid_map && nsd_write_proc_file(pid, "gid_map", cfg->gid_map) < 0)
            step = NSD_STEP_GID_MAP;
        else if (bind_ns(pid, cfg) < 0)
            step = NSD_STEP_BIND_NS;
    }
    e = errno;
    close(ready_p[0]);
    close(go_p[1]); /* the child exits */
    if (step != -1)
        kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (step != -1)
        return nsd_send_reply(sock, -1, step, e, -1, 0, 0, 0);
    return nsd_send_reply(sock, 0, 0, 0, -1, 0, 0, 0);
}
