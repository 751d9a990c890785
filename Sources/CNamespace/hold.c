/* hold.c — nsd_hold, the server side of a held namespace: the spawner
 * (Sources/nsd-init/hold.c) makes it and binds it; a pid namespace's keeper
 * comes back as our child. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

int nsd_hold(const struct nsd_hold_config *cfg, struct nsd_hold_result *out)
{
    struct nsd_wire_reply rep;
    struct nsd_wire_buf body = { 0 };
    int rfds[2], nr = 0, err = 0;
    const char *step = "hold";
    uint64_t f = cfg->ns_flag;

    memset(out, 0, sizeof *out);
    out->pidfd = -1;
    if (!cfg->target || !f || (f & (f - 1)) || !(f & NSD_ALL_NS)) {
        out->step = "config";
        out->err = EINVAL;
        return -1;
    }
    if (nsd_wire_encode_hold(cfg, &body) < 0) {
        out->step = "config";
        out->err = body.failed;
        nsd_wire_buf_free(&body);
        return -1;
    }
    if (nsd_spawner_call(NSD_WIRE_HOLD, &body, 0, 0, &rep, rfds, &nr, &step, &err) < 0) {
        nsd_wire_buf_free(&body);
        out->step = step;
        out->err = err;
        return -1;
    }
    nsd_wire_buf_free(&body);
    if (rep.status != 0) {
        nsd_discard_reply(&rep, rfds, nr);
        out->step = nsd_step_name(rep.step);
        out->err = rep.err;
        return -1;
    }
    if (rep.pid > 0) {
        if (nr != 1) {
            nsd_discard_reply(&rep, rfds, nr);
            out->step = "nsd-init reply";
            out->err = EPROTO;
            return -1;
        }
        out->pid = rep.pid;
        out->pidfd = rfds[0];
    } else {
        for (int i = 0; i < nr; i++)
            close(rfds[i]);
    }
    return 0;
}
