#ifndef NSD_NSFS_H
#define NSD_NSFS_H
#include <stdint.h>

#if !defined(__clang__)
#define _Nonnull
#endif

/// Inode of the namespace that owns the namespace open on `fd` (NS_GET_USERNS).
/// Returns 0, or -1 with errno set (EPERM when the owner lies outside the caller's view).
int nsd_ns_owner_inode(int fd, uint64_t *_Nonnull inode);

/// Inode of the parent of the pid or user namespace open on `fd` (NS_GET_PARENT).
/// Returns 0, or -1 with errno set (EPERM at the top of the caller's view, EINVAL for other types).
int nsd_ns_parent_inode(int fd, uint64_t *_Nonnull inode);

/// The CLONE_NEW* flag of the namespace open on `fd` (NS_GET_NSTYPE), or -1 with errno set.
int nsd_ns_type(int fd);

#endif
