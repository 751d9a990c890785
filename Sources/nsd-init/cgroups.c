/* cgroups.c — a sandbox init or exec helper joins the sandbox's cgroup v1
 * hierarchies itself, first thing: writing "0" moves the writer, so nothing
 * it does runs outside the limits, and no other process has to move it
 * while it runs. (Its cgroup2 directory needs no write: the spawner clones
 * it straight in, see requests.c.) The fds were opened by the server, whose
 * credentials the kernel checks for the move. */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

#include "init.h"

int nsd_join_cgroups(const struct nsd_cgroup *c)
{
    for (uint32_t i = 0; i < c->nprocs; i++) {
        ssize_t n;
        do {
            n = write(c->procs_fds[i], "0", 1);
        } while (n < 0 && errno == EINTR);
        if (n != 1)
            return -1;
        close(c->procs_fds[i]);
    }
    if (c->has_dir)
        close(c->dir_fd);
    return 0;
}

int nsd_cgroup_keep(const struct nsd_cgroup *c, int *keep, int n)
{
    if (c->has_dir)
        keep[n++] = c->dir_fd;
    for (uint32_t i = 0; i < c->nprocs; i++)
        keep[n++] = c->procs_fds[i];
    return n;
}
