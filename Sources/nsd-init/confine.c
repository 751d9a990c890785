/* confine.c — the last steps of a sandbox's command (and of every exec into
 * it) before execve, in the order that keeps each one possible:
 *   rlimits (raising a hard limit needs CAP_SYS_RESOURCE), ambient set
 *   cleared and bounding set dropped (CAP_SETPCAP), ids changed, capset,
 *   no_new_privs, and the seccomp filter last, so that none of the steps
 *   before it is filtered, and after no_new_privs, which lets the filter
 *   load without CAP_SYS_ADMIN.
 * execve then computes the final sets: uid 0 keeps the bounding set, any
 * other uid ends with nothing effective (no file capabilities and an empty
 * ambient and inheritable set). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

static int fail(int *step, int s)
{
    *step = s;
    return -1;
}

static int apply_rlimits(const struct nsd_confinement *k, int *step)
{
    for (uint32_t i = 0; i < k->nrlimits; i++) {
        struct rlimit r = { .rlim_cur = k->rlimits[i].value, .rlim_max = k->rlimits[i].value };
        if (syscall(SYS_prlimit64, 0, k->rlimits[i].resource, &r, (void *)0) < 0)
            return fail(step, NSD_STEP_RLIMIT);
    }
    return 0;
}

static int drop_bounding(uint64_t keep, int *step)
{
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return fail(step, NSD_STEP_AMBIENT);
    for (int cap = 0; cap < 64; cap++) {
        if (keep & (1ULL << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL) /* past the kernel's last capability */
                break;
            return fail(step, NSD_STEP_CAPBSET);
        }
    }
    return 0;
}

/* Effective and permitted: what we still hold of `keep`; inheritable:
 * nothing, so no file's inheritable bits can bring a capability back. */
static int set_capabilities(uint64_t keep, int *step)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];

    if (syscall(SYS_capget, &hdr, data) < 0)
        return fail(step, NSD_STEP_CAPSET);
    for (int i = 0; i < 2; i++) {
        uint32_t mask = (uint32_t)(keep >> (32 * i));
        data[i].permitted &= mask;
        data[i].effective = data[i].permitted;
        data[i].inheritable = 0;
    }
    if (syscall(SYS_capset, &hdr, data) < 0)
        return fail(step, NSD_STEP_CAPSET);
    return 0;
}

int nsd_confine(const struct nsd_confinement *k, uint32_t uid, uint32_t gid, int change_ids, int *step)
{
    if (k->enabled && (apply_rlimits(k, step) < 0 || drop_bounding(k->capabilities, step) < 0))
        return -1;
    if (change_ids) {
        if (nsd_raw_setresgid(gid) < 0)
            return fail(step, NSD_STEP_SETRESGID);
        if (nsd_raw_setresuid(uid) < 0)
            return fail(step, NSD_STEP_SETRESUID);
    }
    if (k->enabled && set_capabilities(k->capabilities, step) < 0)
        return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fail(step, NSD_STEP_NO_NEW_PRIVS);
    if (k->enabled && k->seccomp) {
        struct sock_fprog prog = { .len = (unsigned short)(k->seccomp_len / sizeof(struct sock_filter)),
                                   .filter = (struct sock_filter *)k->seccomp };
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
            return fail(step, NSD_STEP_SECCOMP);
    }
    return 0;
}
