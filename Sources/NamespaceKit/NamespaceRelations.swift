#if canImport(Glibc)
import Glibc
#endif
import CNamespace

/// Parent and owner of a namespace through the nsfs ioctls on an fd opened from `path`.
/// Either is nil where the kernel hides it (the top of our view answers EPERM).
enum NamespaceRelations {
    static func of(path: String, type: NamespaceType) -> (parent: UInt64?, owner: UInt64?) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return (nil, nil) }
        defer { close(fd) }
        var owner: UInt64 = 0
        var parent: UInt64 = 0
        let hasOwner = nsd_ns_owner_inode(fd, &owner) == 0
        let hasParent = type.isHierarchical && nsd_ns_parent_inode(fd, &parent) == 0
        return (hasParent ? parent : nil, hasOwner ? owner : nil)
    }
}
