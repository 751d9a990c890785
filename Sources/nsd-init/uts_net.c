/* uts_net.c — child-side setup of the UTS namespace (host/domain name) and
 * the network namespace (a new one has only `lo`, and it starts DOWN). */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init.h"

int nsd_lo_up(void)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rc = -1, saved;

    if (s < 0)
        return -1;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    saved = errno;
    close(s);
    errno = saved;
    return rc;
}

int nsd_setup_uts_net(const struct nsd_init_ctx *ctx, int *step)
{
    const struct nsd_spawn_config *cfg = ctx->cfg;

    if (cfg->ns_flags & NSD_CLONE_NEWUTS) {
        if (cfg->hostname && sethostname(cfg->hostname, ctx->hostname_len) < 0) {
            *step = NSD_STEP_SETHOSTNAME;
            return -1;
        }
        if (cfg->domainname && setdomainname(cfg->domainname, ctx->domainname_len) < 0) {
            *step = NSD_STEP_SETDOMAINNAME;
            return -1;
        }
    }
    if ((cfg->ns_flags & NSD_CLONE_NEWNET) && nsd_lo_up() < 0) {
        *step = NSD_STEP_LO_UP;
        return -1;
    }
    return 0;
}
