/* groups.c — dropping the server's supplementary groups in a child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

/* A user namespace whose setgroups file says "deny" refuses setgroups to
 * everyone in it, root included (user_namespaces(7)). */
static int setgroups_denied(void)
{
    char buf[8];
    ssize_t n;
    int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf);
    close(fd);
    return n >= 4 && memcmp(buf, "deny", 4) == 0;
}

int nsd_drop_groups(void)
{
    int saved;

    if (getgroups(0, NULL) == 0)
        return 0;
    if (syscall(SYS_setgroups, 0, (void *)0) == 0)
        return 0;
    saved = errno;
    if (saved == EPERM && setgroups_denied())
        return 0;
    errno = saved;
    return -1;
}
