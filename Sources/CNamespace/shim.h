/*
 * shim.h — private to the server side of the shim (Sources/CNamespace):
 * talking to the spawner, waiting for a child's report, cleaning up.
 */
#ifndef NSD_SHIM_H
#define NSD_SHIM_H

#include "nsd_internal.h"

/* --- spawner.c: the server's end of the nsd-init spawner --- */
/* Send one request (starting the spawner if needed) and receive its reply
 * and up to 2 fds (O_CLOEXEC). 0 on success (the reply may still report a
 * failure); -1 when the spawner could not be started or talked to, with
 * *step and *err filled. Thread-safe: requests are serialised. */
int nsd_spawner_call(enum nsd_wire_kind kind, const struct nsd_wire_buf *body, const int *fds, int nfds,
                     struct nsd_wire_reply *rep, int rfds[2], int *nrfds, const char **step, int *err);

/* --- parentutil.c --- */
/* Wait for the child's report: 0 on EOF (success), 1 with *rep filled. */
int nsd_read_report(int fd, int timeout_ms, struct nsd_report *rep);
/* Kill (if kill_it) and reap a failed child; closes pidfd. */
void nsd_reap_failed(pid_t pid, int pidfd, int kill_it);
/* A failed reply's fds: a child it names (a pidfd first) is killed and
 * reaped, the rest closed. */
void nsd_discard_reply(const struct nsd_wire_reply *rep, const int *rfds, int nr);
void nsd_close_quietly(int fd);

#endif /* NSD_SHIM_H */
