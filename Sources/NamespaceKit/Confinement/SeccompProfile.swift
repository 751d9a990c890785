/// The `default` seccomp profile: an allowlist in the spirit of Docker's default profile. A
/// system call outside it fails with EPERM; clone3 fails with ENOSYS so that libcs fall back to
/// clone, whose flags can be inspected. Never allowed, whatever the capabilities: kexec, kernel
/// modules, bpf, perf_event_open, the keyring, reboot, swap, setting clocks, acct, quotactl,
/// syslog, userfaultfd, open_by_handle_at, iopl/ioperm, io_uring — none of them is listed below.
/// Namespaces, mounts and host/domain names need SYS_ADMIN, so they are allowed only when it was
/// added. docs/confinement.md lists the whole profile.
enum SeccompProfile {
    static let allowed: [String] = files + processes + memory + signals + time + ipc + network

    static let files = [
        "access", "chdir", "chmod", "chown", "chroot", "close", "close_range", "copy_file_range", "creat",
        "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2",
        "epoll_wait", "eventfd", "eventfd2", "faccessat", "faccessat2", "fadvise64", "fallocate", "fchdir",
        "fchmod", "fchmodat", "fchmodat2", "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr",
        "flistxattr", "flock", "fremovexattr", "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate",
        "futimesat", "getcwd", "getdents", "getdents64", "getxattr", "inotify_add_watch", "inotify_init",
        "inotify_init1", "inotify_rm_watch", "ioctl", "lchown", "lgetxattr", "link", "linkat",
        "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "memfd_create", "mkdir",
        "mkdirat", "mknod", "mknodat", "name_to_handle_at", "newfstatat", "open", "openat", "openat2",
        "pipe", "pipe2", "poll", "ppoll", "pread64", "preadv", "preadv2", "pselect6", "pwrite64", "pwritev",
        "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "removexattr", "rename",
        "renameat", "renameat2", "rmdir", "select", "sendfile", "setxattr", "splice", "stat", "statfs",
        "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "tee", "truncate", "umask",
        "unlink", "unlinkat", "utime", "utimensat", "utimes", "vmsplice", "write", "writev",
        "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup", "io_submit",
        "fanotify_mark", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
    ]

    static let processes = [
        "arch_prctl", "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork", "vfork",
        "getcpu", "getegid", "geteuid", "getgid", "getgroups", "getpgid", "getpgrp", "getpid", "getppid",
        "getpriority", "getresgid", "getresuid", "getrlimit", "get_robust_list", "getrusage", "getsid",
        "gettid", "getuid", "ioprio_get", "ioprio_set", "kill", "pidfd_getfd", "pidfd_open",
        "pidfd_send_signal", "prctl", "prlimit64", "process_mrelease", "process_vm_readv",
        "process_vm_writev", "ptrace", "rseq", "sched_getaffinity", "sched_getattr", "sched_getparam",
        "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
        "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
        "seccomp", "setfsgid", "setfsuid", "setgid", "setgroups", "setpgid", "setpriority", "setregid",
        "setresgid", "setresuid", "setreuid", "setrlimit", "set_robust_list", "setsid", "set_tid_address",
        "setuid", "tgkill", "tkill", "wait4", "waitid", "times", "uname", "sysinfo", "getrandom",
        "restart_syscall", "membarrier",
    ]

    static let memory = [
        "brk", "madvise", "mincore", "mlock", "mlock2", "mlockall", "mmap", "mprotect", "mremap", "msync",
        "munlock", "munlockall", "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect", "remap_file_pages",
        "futex", "futex_waitv",
    ]

    static let signals = [
        "alarm", "pause", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
        "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo", "sigaltstack", "signalfd",
        "signalfd4",
    ]

    static let time = [
        "clock_getres", "clock_gettime", "clock_nanosleep", "getitimer", "gettimeofday", "nanosleep",
        "setitimer", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
        "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime",
    ]

    static let ipc = [
        "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink", "msgctl",
        "msgget", "msgrcv", "msgsnd", "semctl", "semget", "semop", "semtimedop", "shmat", "shmctl", "shmdt",
        "shmget",
    ]

    static let network = [
        "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen",
        "recvfrom", "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown",
        "socketpair",
    ]

    /// Allowed only with SYS_ADMIN: namespaces, mounts, host and domain names (clone's namespace
    /// flags too, see `cloneNamespaceFlags`).
    static let withSysAdmin = [
        "unshare", "setns", "mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen",
        "fsconfig", "fsmount", "fspick", "mount_setattr", "sethostname", "setdomainname",
    ]

    /// clone's namespace flags (CLONE_NEWNS ... CLONE_NEWNET): a clone carrying any of them fails
    /// without SYS_ADMIN; CLONE_NEWTIME only exists for clone3 and unshare.
    static let cloneNamespaceFlags: UInt64 = 0x7E02_0000

    /// personality(2) values a libc or `setarch` uses (PER_LINUX, PER_LINUX32, UNAME26 and both,
    /// and the query 0xffffffff); others (ADDR_NO_RANDOMIZE...) are refused.
    static let personalities: [UInt64] = [0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff]

    /// AF_VSOCK reaches the hypervisor's host, not anything of the sandbox's.
    static let refusedSocketFamily: UInt64 = 40
}
