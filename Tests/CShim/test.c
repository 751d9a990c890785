/* Tests/CShim/test.c — host-side checks of the namespace spawn shim and
 * its nsd-init spawner. Run as root via Tests/CShim/run.sh. Each check prints PASS/FAIL/SKIP. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns_spawn.h"

static int failures;
static char tmpdir[] = "/tmp/nsd-cshim-XXXXXX";
static char *env_default[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

#define CHECK(cond, ...)                                                                                \
    do {                                                                                                \
        if (cond) {                                                                                     \
            printf("PASS ");                                                                            \
        } else {                                                                                        \
            printf("FAIL ");                                                                            \
            failures++;                                                                                 \
        }                                                                                               \
        printf(__VA_ARGS__);                                                                            \
        printf("\n");                                                                                   \
        fflush(stdout);                                                                                 \
    } while (0)

#define DEFAULT_NS                                                                                      \
    (NSD_CLONE_NEWNS | NSD_CLONE_NEWUTS | NSD_CLONE_NEWIPC | NSD_CLONE_NEWPID | NSD_CLONE_NEWNET |      \
     NSD_CLONE_NEWCGROUP)

static char *read_file(const char *path)
{
    static char buf[8][8192];
    static int slot;
    char *b = buf[slot++ % 8];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n, tot = 0;
    b[0] = 0;
    if (fd < 0)
        return b;
    while ((n = read(fd, b + tot, sizeof buf[0] - 1 - (size_t)tot)) > 0)
        tot += n;
    b[tot] = 0;
    close(fd);
    return b;
}

static void tpath(char *out, size_t len, const char *name) { snprintf(out, len, "%s/%s", tmpdir, name); }

static int open_out(const char *name)
{
    char p[256];
    tpath(p, sizeof p, name);
    return open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static char *out_of(const char *name)
{
    char p[256];
    tpath(p, sizeof p, name);
    return read_file(p);
}

static void base_cfg(struct nsd_spawn_config *c, char **argv, int out_fd)
{
    memset(c, 0, sizeof *c);
    c->path = argv[0];
    c->argv = argv;
    c->envp = env_default;
    c->ns_flags = DEFAULT_NS;
    c->mount_proc = 1;
    c->stdout_fd = out_fd;
    c->stderr_fd = out_fd;
    c->exit_record_fd = -1;
}

/* Spawn, wait for the init (10 s), return its wait status (code or 128+sig). */
static int run(struct nsd_spawn_config *c, struct nsd_spawn_result *r)
{
    struct nsd_wait_status ws;
    if (nsd_spawn(c, r) < 0) {
        printf("  spawn failed: step=%s err=%s\n", r->step, strerror(r->err));
        return -1;
    }
    if (nsd_pidfd_wait(r->pidfd, 10000, &ws) != 1) {
        printf("  init did not exit in time\n");
        nsd_pidfd_send_signal(r->pidfd, SIGKILL);
        nsd_pidfd_wait(r->pidfd, -1, &ws);
        close(r->pidfd);
        return -1;
    }
    close(r->pidfd);
    return ws.signal ? 128 + ws.signal : ws.exit_code;
}

static int run_capture(struct nsd_spawn_config *c, const char *name)
{
    struct nsd_spawn_result r;
    int fd = open_out(name), rc;
    c->stdout_fd = fd;
    c->stderr_fd = fd;
    rc = run(c, &r);
    close(fd);
    return rc;
}

static pid_t first_child(pid_t pid)
{
    char p[128];
    snprintf(p, sizeof p, "/proc/%d/task/%d/children", pid, pid);
    return (pid_t)atoi(read_file(p));
}

static long status_field(pid_t pid, const char *field)
{
    char p[64], *s;
    snprintf(p, sizeof p, "/proc/%d/status", pid);
    s = strstr(read_file(p), field);
    return s ? strtol(s + strlen(field), NULL, 10) : -1;
}

static ino_t ns_ino(const char *pid, const char *ns)
{
    char p[128];
    struct stat st;
    snprintf(p, sizeof p, "/proc/%s/ns/%s", pid, ns);
    return stat(p, &st) == 0 ? st.st_ino : 0;
}

static int count_substr(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static int zombies_of_ours(void);
static int no_zombie_children(void) { return zombies_of_ours() == 0; }

/* No child of ours may be left, zombie or not, but the spawner (nsd-init,
 * which lives as long as we do). */
static int no_children_left(void)
{
    char p[64];
    pid_t spawner = nsd_spawner_pid();
    const char *kids;
    int n = 0;
    snprintf(p, sizeof p, "/proc/%d/task/%d/children", getpid(), getpid());
    kids = read_file(p);
    for (const char *k = kids; *k;) {
        pid_t c = (pid_t)strtol(k, (char **)&k, 10);
        if (c > 0 && c != spawner)
            n++;
        while (*k == ' ' || *k == '\n')
            k++;
    }
    if (n)
        printf("  children left: %s (spawner %d)\n", kids, spawner);
    return n == 0;
}

static void test_uts(void)
{
    char *argv[] = { "/bin/hostname", NULL };
    struct nsd_spawn_config c;
    char host[256];
    base_cfg(&c, argv, -1);
    c.hostname = "nsd-test-host";
    c.domainname = "example";
    int rc = run_capture(&c, "uts");
    gethostname(host, sizeof host);
    CHECK(rc == 0 && strcmp(out_of("uts"), "nsd-test-host\n") == 0 && strcmp(host, "nsd-test-host") != 0,
          "uts: hostname inside is %s (host keeps %s)", out_of("uts"), host);
}

static void test_pid(void)
{
    char *argv[] = { "/bin/sh", "-c", "echo $$", NULL };
    struct nsd_spawn_config c;
    base_cfg(&c, argv, -1);
    int rc = run_capture(&c, "pid");
    CHECK(rc == 0 && strcmp(out_of("pid"), "2\n") == 0, "pid: command sees $$ = %s", out_of("pid"));
}

static void test_ns_inodes(void)
{
    char *argv[] = { "/bin/sleep", "30", NULL };
    const char *types[] = { "mnt", "uts", "ipc", "pid", "net", "user", "cgroup", "time_for_children" };
    struct nsd_spawn_config c;
    struct nsd_spawn_result r;
    struct nsd_wait_status ws;
    char pid[16];
    int all_differ = 1, fdflags;
    base_cfg(&c, argv, STDERR_FILENO);
    c.ns_flags = DEFAULT_NS | NSD_CLONE_NEWUSER | NSD_CLONE_NEWTIME;
    c.uid_map = "0 100000 65536\n";
    c.gid_map = "0 100000 65536\n";
    if (nsd_spawn(&c, &r) < 0) {
        CHECK(0, "ns inodes: spawn failed at %s: %s", r.step, strerror(r.err));
        return;
    }
    snprintf(pid, sizeof pid, "%d", r.pid);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        ino_t a = ns_ino(pid, types[i]), b = ns_ino("self", types[i]);
        if (a == 0 || a == b) {
            printf("  %s: init %lu host %lu\n", types[i], (unsigned long)a, (unsigned long)b);
            all_differ = 0;
        }
    }
    CHECK(all_differ,
          "ns: /proc/%s/ns/{mnt,uts,ipc,pid,net,user,cgroup,time_for_children} differ from the host's",
          pid);
    CHECK(ns_ino(pid, "time") == ns_ino("self", "time"),
          "time: the init itself stays in the host time ns (its children do not)");
    fdflags = fcntl(r.pidfd, F_GETFD);
    CHECK(fdflags >= 0 && (fdflags & FD_CLOEXEC), "pidfd is O_CLOEXEC");
    CHECK(status_field(r.pid, "Uid:") == 100000, "user: init runs as host uid %ld (inside 0)",
          status_field(r.pid, "Uid:"));
    nsd_pidfd_send_signal(r.pidfd, SIGKILL);
    nsd_pidfd_wait(r.pidfd, -1, &ws);
    close(r.pidfd);
    CHECK(ws.reaped && ws.signal == SIGKILL, "SIGKILL to the init ends the sandbox");
}

static void test_user(uint32_t uid, long host_uid, const char *expect)
{
    char *argv[] = { "/bin/sh", "-c", "id -u; grep CapEff /proc/self/status; sleep 1", NULL };
    struct nsd_spawn_config c;
    struct nsd_spawn_result r;
    struct nsd_wait_status ws;
    int fd = open_out("user");
    base_cfg(&c, argv, fd);
    c.ns_flags = DEFAULT_NS | NSD_CLONE_NEWUSER;
    c.uid_map = "0 100000 65536\n";
    c.gid_map = "0 100000 65536\n";
    c.uid = uid;
    c.gid = uid;
    if (nsd_spawn(&c, &r) < 0) {
        CHECK(0, "user: spawn failed at %s: %s", r.step, strerror(r.err));
        close(fd);
        return;
    }
    pid_t cmd = first_child(r.pid);
    long seen = status_field(cmd, "Uid:");
    nsd_pidfd_wait(r.pidfd, 10000, &ws);
    close(r.pidfd);
    close(fd);
    CHECK(seen == host_uid && strcmp(out_of("user"), expect) == 0,
          "user: inside uid %u -> host sees pid %d as uid %ld; inside printed %s", uid, cmd, seen,
          out_of("user"));
}

static void test_net(void)
{
    char *argv[] = { "/usr/sbin/ip", "-o", "link", NULL };
    struct nsd_spawn_config c;
    if (access(argv[0], X_OK) != 0) {
        char *argv2[] = { "/bin/cat", "/proc/net/dev", NULL };
        base_cfg(&c, argv2, -1);
        run_capture(&c, "net");
        CHECK(count_substr(out_of("net"), ":") == 1 && strstr(out_of("net"), "lo:"),
              "net: only lo in /proc/net/dev");
        return;
    }
    base_cfg(&c, argv, -1);
    int rc = run_capture(&c, "net");
    const char *o = out_of("net");
    CHECK(rc == 0 && count_substr(o, "\n") == 1 && strstr(o, "1: lo: <LOOPBACK,UP") != NULL,
          "net: only lo, and UP: %.60s", o);
}

static void test_mount_leak(void)
{
    char *argv[] = { "/bin/sleep", "30", NULL };
    struct nsd_spawn_config c;
    struct nsd_spawn_result r;
    struct nsd_wait_status ws;
    char p[64];
    int host_before = count_substr(read_file("/proc/self/mountinfo"), " - proc ");
    base_cfg(&c, argv, STDERR_FILENO);
    if (nsd_spawn(&c, &r) < 0) {
        CHECK(0, "mnt: spawn failed at %s", r.step);
        return;
    }
    snprintf(p, sizeof p, "/proc/%d/mountinfo", first_child(r.pid));
    int inside = count_substr(read_file(p), " - proc ");
    int host_after = count_substr(read_file("/proc/self/mountinfo"), " - proc ");
    nsd_pidfd_send_signal(r.pidfd, SIGKILL);
    nsd_pidfd_wait(r.pidfd, -1, &ws);
    close(r.pidfd);
    CHECK(host_after == host_before && inside == host_before + 1,
          "mnt: proc mounts host %d -> %d, inside %d (private propagation)", host_before, host_after,
          inside);
}

static int record_matches(const char *rec, const char *prefix)
{
    size_t n = strlen(prefix), len = strlen(rec);
    if (strncmp(rec, prefix, n) != 0 || len < n + 2 || rec[len - 1] != '\n')
        return 0;
    for (size_t i = n; i < len - 1; i++)
        if (rec[i] < '0' || rec[i] > '9')
            return 0;
    return 1;
}

static void test_exit_record(uint64_t ns, const char *label)
{
    char *argv[] = { "/bin/sh", "-c", "exit 7", NULL };
    struct nsd_spawn_config c;
    struct nsd_spawn_result r;
    base_cfg(&c, argv, STDERR_FILENO);
    c.ns_flags = ns;
    c.mount_proc = (ns & NSD_CLONE_NEWPID) != 0;
    c.exit_record_fd = open_out("record");
    int rc = run(&c, &r);
    close(c.exit_record_fd);
    CHECK(rc == 7 && record_matches(out_of("record"), "exit 7 "),
          "exit record (%s): init exit %d, record %s", label, rc, out_of("record"));
}

static void test_sigterm(void)
{
    char *argv[] = { "/bin/sleep", "30", NULL };
    struct nsd_spawn_config c;
    struct nsd_spawn_result r;
    struct nsd_wait_status ws;
    base_cfg(&c, argv, STDERR_FILENO);
    c.exit_record_fd = open_out("record");
    if (nsd_spawn(&c, &r) < 0) {
        CHECK(0, "sigterm: spawn failed at %s", r.step);
        return;
    }
    nsd_pidfd_send_signal(r.pidfd, SIGTERM);
    int got = nsd_pidfd_wait(r.pidfd, 10000, &ws);
    close(r.pidfd);
    close(c.exit_record_fd);
    CHECK(got == 1 && ws.exit_code == 143 && record_matches(out_of("record"), "signal 15 "),
          "SIGTERM forwarded: init exit %d, record %s", ws.exit_code, out_of("record"));
}

static int zombies_of_ours(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL) {
        char p[300], st;
        int ppid;
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(p, sizeof p, "/proc/%s/stat", e->d_name);
        const char *s = strrchr(read_file(p), ')');
        if (s && sscanf(s + 2, "%c %d", &st, &ppid) == 2 && ppid == getpid() && st == 'Z') {
            printf("  zombie child: %s", read_file(p));
            n++;
        }
    }
    if (d)
        closedir(d);
    return n;
}

static void test_not_found(void)
{
    char *argv[] = { "/nonexistent/cmd", NULL };
    struct nsd_spawn_config c;
    struct nsd_spawn_result r;
    base_cfg(&c, argv, STDERR_FILENO);
    int rc = nsd_spawn(&c, &r);
    CHECK(rc == -1 && r.step && strcmp(r.step, "execve") == 0 && r.err == ENOENT && r.pidfd == -1 &&
              zombies_of_ours() == 0 && no_children_left(),
          "not found: step=%s err=%s, no process left", r.step, strerror(r.err));

    base_cfg(&c, (char *[]){ "/bin/true", NULL }, STDERR_FILENO);
    c.rootfs = "/nonexistent-rootfs";
    rc = nsd_spawn(&c, &r);
    CHECK(rc == -1 && r.err == ENOENT && no_children_left(), "missing rootfs: step=%s err=%s", r.step,
          strerror(r.err));

    base_cfg(&c, (char *[]){ "/bin/true", NULL }, STDERR_FILENO);
    c.ns_flags = NSD_CLONE_NEWUTS; /* mount_proc without pid+mnt */
    rc = nsd_spawn(&c, &r);
    CHECK(rc == -1 && strcmp(r.step, "config") == 0 && r.err == EINVAL, "invalid config: step=%s",
          r.step);

    base_cfg(&c, (char *[]){ "/bin/true", NULL }, STDERR_FILENO);
    c.ns_flags = DEFAULT_NS | NSD_CLONE_NEWUSER;
    c.uid_map = "0 100000 65536\n";
    c.gid_map = "bogus\n";
    rc = nsd_spawn(&c, &r);
    CHECK(rc == -1 && strcmp(r.step, "gid_map") == 0 && r.err == EINVAL && no_children_left(),
          "bad gid_map: step=%s err=%s, child reaped", r.step, strerror(r.err));
}

static void test_fds(void)
{
    char *argv[] = { "/bin/ls", "/proc/self/fd", NULL };
    struct nsd_spawn_config c;
    int leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
    base_cfg(&c, argv, -1);
    c.exit_record_fd = open_out("record");
    int rc = run_capture(&c, "fds");
    close(c.exit_record_fd);
    close(leak);
    CHECK(rc == 0 && strcmp(out_of("fds"), "0\n1\n2\n3\n") == 0,
          "fds: command has only 0 1 2 (+ ls's own 3): %s", out_of("fds"));
}

static void test_time(void)
{
    char *argv[] = { "/bin/cat", "/proc/uptime", NULL };
    struct nsd_spawn_config c;
    base_cfg(&c, argv, -1);
    c.ns_flags = DEFAULT_NS | NSD_CLONE_NEWTIME;
    c.time_offset_boottime = 86400;
    c.time_offset_monotonic = 3600;
    double host = atof(read_file("/proc/uptime"));
    int rc = run_capture(&c, "time");
    double in = atof(out_of("time"));
    CHECK(rc == 0 && in >= host + 86400 - 1 && in < host + 86400 + 30,
          "time: uptime inside %.0f vs host %.0f (+86400)", in, host);
}

static int build_rootfs(char *root, size_t len)
{
    const char *tools[] = { "sh", "ls", "cat", "hostname", "touch", "id", "echo", "sleep", "grep" };
    char p[512];
    if (access("/bin/busybox", X_OK) != 0)
        return -1;
    snprintf(root, len, "%s/rootfs", tmpdir);
    const char *dirs[] = { "", "/bin", "/proc", "/tmp", "/dev" };
    for (size_t i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s%s", root, dirs[i]);
        mkdir(p, 0755);
    }
    snprintf(p, sizeof p, "%s/dev/null", root);
    mknod(p, S_IFCHR | 0666, makedev(1, 3));
    chmod(p, 0666);
    snprintf(p, sizeof p, "cp /bin/busybox %s/bin/busybox", root);
    if (system(p) != 0)
        return -1;
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
        snprintf(p, sizeof p, "%s/bin/%s", root, tools[i]);
        symlink("busybox", p);
    }
    return 0;
}

static void test_rootfs(const char *root)
{
    char *argv[] = { "/bin/sh", "-c", "ls /; touch /x 2>/dev/null && echo RW || echo RO; echo $$",
                     NULL };
    struct nsd_spawn_config c;
    base_cfg(&c, argv, -1);
    c.rootfs = root;
    c.readonly_rootfs = 1;
    int rc = run_capture(&c, "out-rootfs");
    CHECK(rc == 0 && strcmp(out_of("out-rootfs"), "bin\ndev\nproc\ntmp\nRO\n2\n") == 0,
          "rootfs: pivot + read-only + /proc: %s", out_of("out-rootfs"));

    char *uargv[] = { "/bin/sh", "-c", "ls /; id -u; echo $$", NULL };
    base_cfg(&c, uargv, -1);
    c.rootfs = root;
    c.ns_flags = DEFAULT_NS | NSD_CLONE_NEWUSER;
    c.uid_map = "0 100000 65536\n";
    c.gid_map = "0 100000 65536\n";
    rc = run_capture(&c, "rootfs-user");
    CHECK(rc == 0 && strcmp(out_of("rootfs-user"), "bin\ndev\nproc\ntmp\n0\n2\n") == 0,
          "rootfs in a user ns (proc mounted before the old root goes): %s", out_of("rootfs-user"));
    char p[512];
    snprintf(p, sizeof p, "%s/x", root);
    unlink(p);
}

static int read_all(int fd, char *buf, size_t cap)
{
    size_t tot = 0;
    ssize_t n;
    while ((n = read(fd, buf + tot, cap - 1 - tot)) > 0)
        tot += (size_t)n;
    buf[tot] = 0;
    return (int)tot;
}

static void test_exec_in(const char *root)
{
    char *argv[] = { "/bin/sleep", "60", NULL };
    uint64_t flags = DEFAULT_NS | NSD_CLONE_NEWUSER | NSD_CLONE_NEWTIME;
    struct nsd_spawn_config c;
    struct nsd_spawn_result r;
    struct nsd_wait_status ws;
    base_cfg(&c, argv, STDERR_FILENO);
    c.ns_flags = flags;
    c.hostname = "exec-box";
    c.rootfs = root;
    c.uid_map = "0 100000 65536\n";
    c.gid_map = "0 100000 65536\n";
    c.time_offset_boottime = 86400;
    if (nsd_spawn(&c, &r) < 0) {
        CHECK(0, "exec_in: sandbox spawn failed at %s: %s", r.step, strerror(r.err));
        return;
    }

    char *eargv[] = { "/bin/sh", "-c",
                      "hostname; echo $$; id -u; ls /; cut -d. -f1 /proc/uptime; ls /proc/self/fd; "
                      "echo err >&2; exit 3",
                      NULL };
    if (!root)
        eargv[2] = "hostname; echo $$; id -u; echo nort; cut -d. -f1 /proc/uptime; ls /proc/self/fd; "
                   "echo err >&2; exit 3";
    int po[2], pe[2];
    pipe2(po, O_CLOEXEC);
    pipe2(pe, O_CLOEXEC);
    struct nsd_exec_config e = { .pidfd = r.pidfd,
                                 .pid = r.pid,
                                 .ns_flags = flags,
                                 .path = eargv[0],
                                 .argv = eargv,
                                 .envp = env_default,
                                 .cwd = "/",
                                 .stdout_fd = po[1],
                                 .stderr_fd = pe[1] };
    struct nsd_exec_result er;
    int rc = nsd_exec_in(&e, &er);
    close(po[1]);
    close(pe[1]);
    char out[4096], err[256];
    read_all(po[0], out, sizeof out);
    read_all(pe[0], err, sizeof err);
    close(po[0]);
    close(pe[0]);
    if (rc < 0) {
        CHECK(0, "exec_in failed at %s: %s", er.step, strerror(er.err));
    } else {
        nsd_pidfd_wait(er.pidfd, 10000, &ws);
        close(er.pidfd);
        char expect_root[64];
        snprintf(expect_root, sizeof expect_root, "%s", root ? "bin\ndev\nproc\ntmp\n" : "nort\n");
        char *up = strstr(out, expect_root);
        long upt = up ? atol(up + strlen(expect_root)) : 0;
        CHECK(ws.reaped && ws.exit_code == 3 && strncmp(out, "exec-box\n3\n0\n", 13) == 0 &&
                  up != NULL && upt >= 86400 && strstr(out, "\n0\n1\n2\n3\n") &&
                  strcmp(err, "err\n") == 0,
              "exec_in: joined uts/pid/user/mnt(root)/time, fds 0-2 only, exit %d; out=[%s] err=[%s]",
              ws.exit_code, out, err);
    }

    /* Not found: reported, and nothing left. */
    char *nargv[] = { "/nope", NULL };
    e.path = nargv[0];
    e.argv = nargv;
    pipe2(po, O_CLOEXEC);
    e.stdout_fd = po[1];
    e.stderr_fd = po[1];
    rc = nsd_exec_in(&e, &er);
    close(po[0]);
    close(po[1]);
    CHECK(rc == -1 && strcmp(er.step, "execve") == 0 && er.err == ENOENT,
          "exec_in not found: step=%s err=%s", er.step, strerror(er.err));

    /* Timeout kill: the command is our own child; SIGKILL it, reap it. */
    char *sargv[] = { "/bin/sleep", "50", NULL };
    e.path = sargv[0];
    e.argv = sargv;
    pipe2(po, O_CLOEXEC);
    e.stdout_fd = po[1];
    e.stderr_fd = po[1];
    rc = nsd_exec_in(&e, &er);
    close(po[1]);
    if (rc == 0) {
        char p[64];
        snprintf(p, sizeof p, "/proc/%d/status", er.pid);
        long ppid = status_field(er.pid, "PPid:");
        long nspid = -1;
        const char *ns = strstr(read_file(p), "NSpid:");
        if (ns)
            sscanf(ns, "NSpid:\t%*d\t%ld", &nspid);
        int got = nsd_pidfd_wait(er.pidfd, 300, &ws);
        nsd_pidfd_send_signal(er.pidfd, SIGKILL);
        nsd_pidfd_wait(er.pidfd, -1, &ws);
        close(er.pidfd);
        char buf[16];
        int eof = read_all(po[0], buf, sizeof buf) == 0;
        CHECK(got == 0 && ppid == getpid() && nspid > 2 && ws.reaped && ws.signal == SIGKILL && eof &&
                  access(p, F_OK) != 0 && no_zombie_children(),
              "exec_in kill: command (our child, pid %ld inside) SIGKILLed and reaped", nspid);
    } else {
        CHECK(0, "exec_in sleep failed at %s", er.step);
    }
    close(po[0]);

    nsd_pidfd_send_signal(r.pidfd, SIGKILL);
    nsd_pidfd_wait(r.pidfd, -1, &ws);
    close(r.pidfd);
}

/* The limits are per user namespace and the host's are read-only here:
 * lower max_cgroup_namespaces in a throw-away user namespace of a forked
 * (single-threaded) child and spawn from there. */
static void test_enospc(void)
{
    pid_t p = fork();
    if (p == 0) {
        struct nsd_spawn_config c;
        struct nsd_spawn_result r;
        int fd;
        if (unshare(CLONE_NEWUSER) < 0)
            _exit(10);
        /* Our spawner is exec'd: it keeps its capabilities in this user
         * namespace only if it starts as a mapped root. */
        const char *maps[][2] = { { "/proc/self/setgroups", "deny" },
                                  { "/proc/self/uid_map", "0 0 1\n" },
                                  { "/proc/self/gid_map", "0 0 1\n" } };
        for (int i = 0; i < 3; i++) {
            fd = open(maps[i][0], O_WRONLY);
            if (fd < 0 || write(fd, maps[i][1], strlen(maps[i][1])) != (ssize_t)strlen(maps[i][1]))
                _exit(11);
            close(fd);
        }
        fd = open("/proc/sys/user/max_cgroup_namespaces", O_WRONLY);
        if (fd < 0 || write(fd, "0\n", 2) != 2)
            _exit(11);
        close(fd);
        base_cfg(&c, (char *[]){ "/bin/true", NULL }, STDERR_FILENO);
        c.mount_proc = 0;
        c.ns_flags = NSD_CLONE_NEWCGROUP;
        if (nsd_spawn(&c, &r) == 0)
            _exit(12);
        _exit(strcmp(r.step, "clone3") == 0 && r.err == ENOSPC ? 0 : 13);
    }
    int st;
    waitpid(p, &st, 0);
    if (WIFEXITED(st) && (WEXITSTATUS(st) == 10 || WEXITSTATUS(st) == 11)) {
        printf("SKIP enospc: cannot lower the limit (%d)\n", WEXITSTATUS(st));
        return;
    }
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "limit: clone3 over max_cgroup_namespaces -> step clone3, ENOSPC (child status %d)",
          WEXITSTATUS(st));
}

/* Spawning from several threads while another one hammers malloc: the child
 * must not touch glibc locks (a raw fork/setresuid would hang otherwise). */
static volatile int stop_malloc;
static void *malloc_hammer(void *arg)
{
    (void)arg;
    while (!stop_malloc) {
        void *p[64];
        for (int i = 0; i < 64; i++)
            p[i] = malloc((size_t)(16 << (i % 12)));
        for (int i = 0; i < 64; i++)
            free(p[i]);
    }
    return NULL;
}
static void *spawner(void *arg)
{
    int *ok = arg;
    for (int i = 0; i < 15; i++) {
        char *argv[] = { "/bin/true", NULL };
        struct nsd_spawn_config c;
        struct nsd_spawn_result r;
        base_cfg(&c, argv, STDERR_FILENO);
        c.ns_flags |= NSD_CLONE_NEWUSER;
        c.uid_map = "0 100000 65536\n";
        c.gid_map = "0 100000 65536\n";
        c.uid = 1000;
        c.gid = 1000;
        if (run(&c, &r) == 0)
            (*ok)++;
    }
    return NULL;
}
static void test_threads(void)
{
    pthread_t h[2], s[3];
    int ok[3] = { 0, 0, 0 };
    for (int i = 0; i < 2; i++)
        pthread_create(&h[i], NULL, malloc_hammer, NULL);
    for (int i = 0; i < 3; i++)
        pthread_create(&s[i], NULL, spawner, &ok[i]);
    for (int i = 0; i < 3; i++)
        pthread_join(s[i], NULL);
    stop_malloc = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(h[i], NULL);
    CHECK(ok[0] + ok[1] + ok[2] == 45 && no_children_left(),
          "threads: %d/45 spawns from 3 threads under malloc load", ok[0] + ok[1] + ok[2]);
}

/* The spawner: its own process (comm nsd-spawner), started once; each
 * init is a copy of it, not of us: small, named nsd-init, no environment. */
static void test_spawner(void)
{
    char *argv[] = { "/bin/sleep", "30", NULL };
    char *env[] = { "PATH=/bin", "SECRET=x", "LD_PRELOAD=/nonexistent.so", NULL };
    struct nsd_spawn_config c;
    struct nsd_spawn_result r;
    struct nsd_wait_status ws;
    char p[64], cmdline[64];
    size_t big = 256u << 20;
    char *heap = malloc(big);
    memset(heap, 1, big); /* a big, touched address space */
    int out = open_out("spawner");
    base_cfg(&c, argv, out);
    c.envp = env;
    if (nsd_spawn(&c, &r) < 0) {
        CHECK(0, "spawner: spawn failed at %s: %s", r.step, strerror(r.err));
        close(out);
        free(heap);
        return;
    }
    pid_t spawner = nsd_spawner_pid();
    snprintf(p, sizeof p, "/proc/%d/comm", spawner);
    CHECK(spawner > 0 && strcmp(read_file(p), "nsd-spawner\n") == 0 &&
              status_field(spawner, "PPid:") == getpid(),
          "spawner: pid %d, our child, comm %s", spawner, read_file(p));
    snprintf(p, sizeof p, "/proc/%d/cmdline", r.pid);
    snprintf(cmdline, sizeof cmdline, "%s", read_file(p));
    snprintf(p, sizeof p, "/proc/%d/environ", r.pid);
    const char *environ_init = read_file(p);
    long rss = status_field(r.pid, "VmRSS:");
    pid_t cmd = first_child(r.pid);
    snprintf(p, sizeof p, "/proc/%d/environ", cmd);
    CHECK(strcmp(cmdline, "nsd-init") == 0 && environ_init[0] == 0 && rss > 0 && rss < 32 * 1024 &&
              status_field(r.pid, "PPid:") == getpid() && strncmp(read_file(p), "PATH=/bin", 9) == 0,
          "init: cmdline %s, empty environ, VmRSS %ld KiB (we have 256 MiB), our child; command env ok",
          cmdline, rss);
    nsd_pidfd_send_signal(r.pidfd, SIGKILL);
    nsd_pidfd_wait(r.pidfd, -1, &ws);
    close(r.pidfd);
    close(out);
    free(heap);

    /* A spawner that died is replaced, and reaped. */
    kill(spawner, SIGKILL);
    usleep(20000);
    base_cfg(&c, (char *[]){ "/bin/true", NULL }, STDERR_FILENO);
    int rc = run(&c, &r);
    pid_t again = nsd_spawner_pid();
    snprintf(p, sizeof p, "/proc/%d", spawner);
    CHECK(rc == 0 && again > 0 && again != spawner && access(p, F_OK) != 0 && no_zombie_children(),
          "spawner killed: replaced (%d -> %d), the dead one reaped", spawner, again);

    /* nsd-init missing: a clear error, nothing left. */
    nsd_set_init_path("/nonexistent/nsd-init");
    rc = nsd_spawn(&c, &r);
    CHECK(rc == -1 && strcmp(r.step, "find nsd-init") == 0 && r.err == ENOENT &&
              nsd_spawner_pid() == -1 && no_children_left(),
          "nsd-init missing: step=%s err=%s", r.step, strerror(r.err));
    nsd_set_init_path(NULL);
    rc = run(&c, &r);
    CHECK(rc == 0, "default nsd-init path again: exit %d", rc);
}

int main(void)
{
    char root[256];
    if (geteuid() != 0) {
        fprintf(stderr, "run as root\n");
        return 2;
    }
    if (!mkdtemp(tmpdir))
        return 2;
    chmod(tmpdir, 0755);
    test_uts();
    test_pid();
    test_ns_inodes();
    test_user(0, 100000, "0\nCapEff:\t000001ffffffffff\n");
    test_user(1000, 101000, "1000\nCapEff:\t0000000000000000\n");
    test_net();
    test_mount_leak();
    test_exit_record(DEFAULT_NS, "pid ns");
    test_exit_record(NSD_CLONE_NEWUTS, "no pid ns");
    test_sigterm();
    test_not_found();
    test_fds();
    test_time();
    if (build_rootfs(root, sizeof root) == 0) {
        test_rootfs(root);
        test_exec_in(root);
    } else {
        printf("SKIP rootfs: /bin/busybox not found (apt-get install -y busybox-static)\n");
        test_exec_in(NULL);
    }
    test_enospc();
    test_threads();
    test_spawner();
    CHECK(no_children_left(), "no children left at the end but the spawner");
    nsd_spawner_stop();
    {
        int st;
        CHECK(nsd_spawner_pid() == -1 && waitpid(-1, &st, WNOHANG | __WALL) < 0 && errno == ECHILD,
              "spawner stopped: no children at all");
    }
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", tmpdir);
    if (system(rm) != 0)
        printf("  could not remove %s\n", tmpdir);
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "OK", failures);
    return failures ? 1 : 0;
}
