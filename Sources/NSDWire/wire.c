/* wire.c — encoding and decoding of the configs of nsd_config.h.
 *
 * Each config is described once, by a *_fields function that lists its
 * members in wire order; the same function encodes (reading the members)
 * or decodes (writing them), so the two directions cannot drift apart.
 * Scalars travel in host byte order (both ends are one build on one host);
 * a string is a u32 length including its NUL (0: NULL) and the bytes; an
 * array is a u32 count plus one (0: NULL) and its elements. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nsd_wire.h"

struct codec {
    int decoding;
    int bad;
    struct nsd_wire_buf *out;
    const char *p, *end;
    struct nsd_wire_arena *arena;
};

static void append(struct nsd_wire_buf *b, const void *data, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > NSD_WIRE_MAX_BODY) {
        b->failed = E2BIG;
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *p;
        while (cap < b->len + n)
            cap *= 2;
        p = realloc(b->data, cap);
        if (!p) {
            b->failed = ENOMEM;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
}

/* The next n bytes of the body, or NULL (and the codec marked bad). */
static const char *take(struct codec *c, size_t n)
{
    const char *p = c->p;
    if (c->bad || (size_t)(c->end - c->p) < n) {
        c->bad = 1;
        return NULL;
    }
    c->p += n;
    return p;
}

static void *alloc(struct codec *c, size_t n)
{
    void *p;
    if (c->arena->n >= (int)(sizeof c->arena->blocks / sizeof c->arena->blocks[0]) ||
        !(p = calloc(1, n ? n : 1))) {
        c->bad = 1;
        return NULL;
    }
    c->arena->blocks[c->arena->n++] = p;
    return p;
}

static void raw(struct codec *c, void *v, size_t n)
{
    const char *p;
    if (!c->decoding) {
        append(c->out, v, n);
        return;
    }
    if ((p = take(c, n)))
        memcpy(v, p, n);
    else
        memset(v, 0, n);
}
#define SCALAR(c, member) raw((c), &(member), sizeof(member))

static void str(struct codec *c, const char **s)
{
    uint32_t n = !c->decoding && *s ? (uint32_t)strlen(*s) + 1 : 0;
    const char *p;

    raw(c, &n, sizeof n);
    if (!c->decoding) {
        if (n)
            append(c->out, *s, n);
        return;
    }
    *s = NULL;
    if (n == 0)
        return;
    /* Exactly one NUL, the last byte: a string is never silently cut. */
    if ((p = take(c, n)) && memchr(p, 0, n) == p + n - 1)
        *s = p;
    else
        c->bad = 1;
}

static void strv(struct codec *c, char *const **v)
{
    uint32_t n = 0;
    const char **a;

    if (!c->decoding && *v) {
        while ((*v)[n])
            n++;
        n++;
    }
    raw(c, &n, sizeof n);
    if (!c->decoding) {
        for (uint32_t i = 0; i + 1 < n; i++) {
            const char *s = (*v)[i];
            str(c, &s);
        }
        return;
    }
    *v = NULL;
    /* Every element takes at least 4 bytes: a count beyond that is a lie. */
    if (n == 0 || c->bad || (size_t)(n - 1) > (size_t)(c->end - c->p) / 4) {
        c->bad |= n != 0;
        return;
    }
    if (!(a = alloc(c, (size_t)n * sizeof *a)))
        return;
    for (uint32_t i = 0; i + 1 < n; i++) {
        str(c, &a[i]);
        if (!a[i])
            c->bad = 1;
    }
    *v = (char *const *)a;
}

/* Plain-data arrays (rlimits, a BPF program): copied into aligned memory. */
static void blob(struct codec *c, const void **data, uint32_t *bytes)
{
    const char *p;
    void *copy;

    SCALAR(c, *bytes);
    if (!c->decoding) {
        if (*bytes)
            append(c->out, *data, *bytes);
        return;
    }
    *data = NULL;
    if (*bytes == 0)
        return;
    if ((p = take(c, *bytes)) && (copy = alloc(c, *bytes))) {
        memcpy(copy, p, *bytes);
        *data = copy;
    }
}

static void mount_fields(struct codec *c, struct nsd_mount *m)
{
    str(c, &m->source);
    str(c, &m->target);
    SCALAR(c, m->size_bytes);
    SCALAR(c, m->kind);
    SCALAR(c, m->read_only);
}

static void view_fields(struct codec *c, struct nsd_view *v)
{
    struct nsd_mount *mounts = (struct nsd_mount *)v->mounts;

    SCALAR(c, v->enabled);
    SCALAR(c, v->private_tmp);
    SCALAR(c, v->mqueue);
    strv(c, &v->masked);
    strv(c, &v->read_only);
    SCALAR(c, v->nmounts);
    if (c->decoding) {
        if (v->nmounts > NSD_MAX_MOUNTS || !(mounts = alloc(c, (size_t)v->nmounts * sizeof *mounts)))
            c->bad = 1;
        v->mounts = c->bad ? NULL : mounts;
    }
    for (uint32_t i = 0; !c->bad && i < v->nmounts; i++)
        mount_fields(c, &mounts[i]);
}

static void confinement_fields(struct codec *c, struct nsd_confinement *k)
{
    uint32_t bytes = k->nrlimits * (uint32_t)sizeof(struct nsd_rlimit);
    const void *rlimits = k->rlimits;

    SCALAR(c, k->enabled);
    SCALAR(c, k->capabilities);
    blob(c, &rlimits, &bytes);
    blob(c, &k->seccomp, &k->seccomp_len);
    if (c->decoding) {
        k->rlimits = rlimits;
        k->nrlimits = bytes / (uint32_t)sizeof(struct nsd_rlimit);
        if (bytes % sizeof(struct nsd_rlimit) || k->seccomp_len % 8)
            c->bad = 1;
    }
}

/* The fds themselves travel as SCM_RIGHTS: only whether there is a
 * directory and how many cgroup.procs files. */
static void cgroup_fields(struct codec *c, struct nsd_cgroup *g)
{
    SCALAR(c, g->has_dir);
    SCALAR(c, g->nprocs);
    if (c->decoding) {
        g->dir_fd = -1;
        for (int i = 0; i < NSD_MAX_CGROUP_PROCS; i++)
            g->procs_fds[i] = -1;
        if (g->has_dir > 1 || g->nprocs > NSD_MAX_CGROUP_PROCS)
            c->bad = 1;
    }
}

static void spawn_fields(struct codec *c, struct nsd_spawn_config *cfg)
{
    uint32_t has_record = cfg->exit_record_fd >= 0;

    str(c, &cfg->path);
    strv(c, &cfg->argv);
    strv(c, &cfg->envp);
    SCALAR(c, cfg->ns_flags);
    str(c, &cfg->hostname);
    str(c, &cfg->domainname);
    str(c, &cfg->uid_map);
    str(c, &cfg->gid_map);
    SCALAR(c, cfg->setgroups_deny);
    str(c, &cfg->rootfs);
    SCALAR(c, cfg->readonly_rootfs);
    SCALAR(c, cfg->mount_proc);
    SCALAR(c, cfg->time_offset_monotonic);
    SCALAR(c, cfg->time_offset_boottime);
    str(c, &cfg->cwd);
    SCALAR(c, cfg->uid);
    SCALAR(c, cfg->gid);
    SCALAR(c, cfg->log_bytes);
    SCALAR(c, has_record);
    view_fields(c, &cfg->view);
    confinement_fields(c, &cfg->confinement);
    cgroup_fields(c, &cfg->cgroup);
    SCALAR(c, cfg->njoins);
    if (cfg->njoins > NSD_MAX_JOINS)
        c->bad = 1;
    for (uint32_t i = 0; !c->bad && i < cfg->njoins; i++)
        SCALAR(c, cfg->join_types[i]);
    if (c->decoding) {
        cfg->stdout_fd = cfg->stderr_fd = -1;
        cfg->exit_record_fd = has_record ? 0 : -1;
        for (int i = 0; i < NSD_MAX_JOINS; i++)
            cfg->join_fds[i] = -1;
    }
}

static void hold_fields(struct codec *c, struct nsd_hold_config *cfg)
{
    SCALAR(c, cfg->ns_flag);
    str(c, &cfg->target);
    str(c, &cfg->detach);
    str(c, &cfg->uid_map);
    str(c, &cfg->gid_map);
    SCALAR(c, cfg->time_offset_monotonic);
    SCALAR(c, cfg->time_offset_boottime);
}

static void exec_fields(struct codec *c, struct nsd_exec_config *cfg)
{
    SCALAR(c, cfg->pid);
    SCALAR(c, cfg->ns_flags);
    str(c, &cfg->path);
    strv(c, &cfg->argv);
    strv(c, &cfg->envp);
    str(c, &cfg->cwd);
    SCALAR(c, cfg->uid);
    SCALAR(c, cfg->gid);
    confinement_fields(c, &cfg->confinement);
    cgroup_fields(c, &cfg->cgroup);
    if (c->decoding)
        cfg->pidfd = cfg->stdout_fd = cfg->stderr_fd = -1;
}

int nsd_wire_cgroup_fds(const struct nsd_cgroup *c, int *fds)
{
    int n = 0;

    if (c->has_dir)
        fds[n++] = c->dir_fd;
    for (uint32_t i = 0; i < c->nprocs && i < NSD_MAX_CGROUP_PROCS; i++)
        fds[n++] = c->procs_fds[i];
    return n;
}

int nsd_wire_take_cgroup_fds(struct nsd_cgroup *c, const int *fds, int nfds)
{
    int need = (int)c->has_dir + (int)c->nprocs, n = 0;

    if (nfds < need)
        return -1;
    if (c->has_dir)
        c->dir_fd = fds[n++];
    for (uint32_t i = 0; i < c->nprocs; i++)
        c->procs_fds[i] = fds[n++];
    return n;
}

static int finish_encode(struct codec *c)
{
    if (c->out->failed)
        return -1;
    return 0;
}

static int finish_decode(struct codec *c, struct nsd_wire_arena *arena)
{
    if (!c->bad && c->p == c->end)
        return 0;
    nsd_wire_arena_free(arena);
    errno = EINVAL;
    return -1;
}

int nsd_wire_encode_spawn(const struct nsd_spawn_config *cfg, struct nsd_wire_buf *b)
{
    struct codec c = { .out = b };
    struct nsd_spawn_config copy = *cfg; /* the codec's signature is shared with decoding */
    spawn_fields(&c, &copy);
    return finish_encode(&c);
}

int nsd_wire_encode_exec(const struct nsd_exec_config *cfg, struct nsd_wire_buf *b)
{
    struct codec c = { .out = b };
    struct nsd_exec_config copy = *cfg;
    exec_fields(&c, &copy);
    return finish_encode(&c);
}

int nsd_wire_encode_hold(const struct nsd_hold_config *cfg, struct nsd_wire_buf *b)
{
    struct codec c = { .out = b };
    struct nsd_hold_config copy = *cfg;
    hold_fields(&c, &copy);
    return finish_encode(&c);
}

int nsd_wire_decode_spawn(const char *body, size_t len, struct nsd_spawn_config *cfg,
                          struct nsd_wire_arena *arena)
{
    struct codec c = { .decoding = 1, .p = body, .end = body + len, .arena = arena };
    memset(cfg, 0, sizeof *cfg);
    arena->n = 0;
    spawn_fields(&c, cfg);
    return finish_decode(&c, arena);
}

int nsd_wire_decode_exec(const char *body, size_t len, struct nsd_exec_config *cfg,
                         struct nsd_wire_arena *arena)
{
    struct codec c = { .decoding = 1, .p = body, .end = body + len, .arena = arena };
    memset(cfg, 0, sizeof *cfg);
    arena->n = 0;
    exec_fields(&c, cfg);
    return finish_decode(&c, arena);
}

int nsd_wire_decode_hold(const char *body, size_t len, struct nsd_hold_config *cfg,
                         struct nsd_wire_arena *arena)
{
    struct codec c = { .decoding = 1, .p = body, .end = body + len, .arena = arena };
    memset(cfg, 0, sizeof *cfg);
    arena->n = 0;
    hold_fields(&c, cfg);
    return finish_decode(&c, arena);
}

void nsd_wire_buf_free(struct nsd_wire_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void nsd_wire_arena_free(struct nsd_wire_arena *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->blocks[i]);
    a->n = 0;
}
