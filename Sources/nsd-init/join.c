/* join.c — the sandbox init enters the namespaces of the spec's `join`
 * through the fds the server opened (and checked with NS_GET_NSTYPE).
 *
 * Order: pid is entered by the spawner before it clones the init (see
 * requests.c), so the init is a member and its /proc mounts show that
 * namespace. The others are entered here, with the host's privileges,
 * right after the user-namespace handshake, before any setup step uses
 * them (mnt first: the later steps' paths resolve in it). A joined user
 * namespace comes last, once the setup that needs the host's privileges is
 * done: entering it first would forbid entering namespaces the host's user
 * namespace owns (a held net namespace), since setns needs CAP_SYS_ADMIN
 * over the target's owner. The command then runs with the spec's ids inside
 * it, and with no privilege over namespaces it does not own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "init.h"

int nsd_join_fd(const struct nsd_spawn_config *cfg, uint32_t type)
{
    for (uint32_t i = 0; i < cfg->njoins; i++)
        if (cfg->join_types[i] == type)
            return cfg->join_fds[i];
    return -1;
}

static int enter(const struct nsd_spawn_config *cfg, uint32_t type, int *step, int *index)
{
    for (uint32_t i = 0; i < cfg->njoins; i++) {
        if (cfg->join_types[i] != type)
            continue;
        if (nsd_raw_setns(cfg->join_fds[i], (int)type) < 0) {
            *step = NSD_STEP_SETNS;
            *index = (int)i;
            return -1;
        }
    }
    return 0;
}

int nsd_join_namespaces(const struct nsd_init_ctx *ctx, int *step, int *index)
{
    static const uint32_t order[] = { NSD_CLONE_NEWNS,  NSD_CLONE_NEWCGROUP, NSD_CLONE_NEWUTS,
                                      NSD_CLONE_NEWIPC, NSD_CLONE_NEWNET,    NSD_CLONE_NEWTIME };

    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (enter(ctx->cfg, order[i], step, index) < 0)
            return -1;
    return 0;
}

int nsd_join_user(const struct nsd_init_ctx *ctx, int *step)
{
    const struct nsd_spawn_config *cfg = ctx->cfg;
    int fd = nsd_join_fd(cfg, NSD_CLONE_NEWUSER);

    if (fd < 0)
        return 0;
    if (nsd_raw_setns(fd, NSD_CLONE_NEWUSER) < 0) {
        *step = NSD_STEP_SETNS_USER;
        return -1;
    }
    /* setns gave us every capability in it, as the mapped root; now the
     * spec's ids, which the server checked against the joined maps. */
    if (nsd_raw_setresgid(cfg->gid) < 0) {
        *step = NSD_STEP_SETRESGID;
        return -1;
    }
    if (nsd_raw_setresuid(cfg->uid) < 0) {
        *step = NSD_STEP_SETRESUID;
        return -1;
    }
    return 0;
}
