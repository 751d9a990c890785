#ifndef NSD_SYS_H
#define NSD_SYS_H
/* System interfaces Swift's Glibc module leaves out, or that are macros it cannot import. */
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>

#if !defined(__clang__)
#define _Nonnull
#endif

static inline int nsd_sigrtmin(void) { return SIGRTMIN; }
static inline int nsd_sigrtmax(void) { return SIGRTMAX; }
/// pipe2(fds, O_CLOEXEC): glibc declares pipe2 only under _GNU_SOURCE.
int nsd_pipe_cloexec(int fds[_Nonnull 2]);
/// posix_spawn_file_actions_addclosefrom_np, a GNU extension: the child keeps only fds below `lowest`.
int nsd_spawn_close_from(posix_spawn_file_actions_t *_Nonnull actions, int lowest);
#endif
