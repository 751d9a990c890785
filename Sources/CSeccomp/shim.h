#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

/* libseccomp 2.5 exports a filter to an fd only; the server reads it back from a memfd. */
static inline int nsd_seccomp_memfd(void)
{
    return (int)syscall(SYS_memfd_create, "seccomp-bpf", 1u /* MFD_CLOEXEC */);
}
