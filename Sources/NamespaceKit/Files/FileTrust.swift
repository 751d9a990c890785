#if canImport(Glibc)
import Glibc
#endif

/// What the server requires of a file or directory in its state directory before it writes,
/// truncates or recycles it. A sandbox that can write its own log directory could plant a
/// symlink (refused by O_NOFOLLOW before this), a hard link to a host file (a second link), a
/// FIFO or device (not a regular file), or a file of another user.
struct FileTrust: Sendable, Equatable {
    var type: mode_t
    var permissions: mode_t
    var owner: uid_t
    var links: Int

    init(type: mode_t, permissions: mode_t, owner: uid_t, links: Int) {
        self.type = type
        self.permissions = permissions
        self.owner = owner
        self.links = links
    }

    init(_ facts: stat) {
        self.init(
            type: facts.st_mode & S_IFMT, permissions: facts.st_mode & 0o7777, owner: facts.st_uid,
            links: Int(facts.st_nlink))
    }

    /// Why a log or exit record may not be written through, or nil when it may.
    func fileProblem(server: uid_t) -> String? {
        if type != S_IFREG { return "is not a regular file" }
        if links != 1 { return "has \(links) hard links" }
        if owner != server { return "is owned by uid \(owner), not \(server)" }
        return nil
    }

    /// Why a directory may not hold the server's state, or nil when it may. The state directory
    /// and its subdirectories belong to the server's user and nobody else may write them; their
    /// parent may also belong to root, and may be writable by others when it has the sticky bit
    /// (as /tmp does), because then nobody else can rename or remove the state directory.
    func directoryProblem(server: uid_t, isParent: Bool) -> String? {
        if type != S_IFDIR { return "is not a directory" }
        if owner != server, !(isParent && owner == 0) {
            return "is owned by uid \(owner), not \(server)\(isParent ? " or root" : "")"
        }
        let writableByOthers = permissions & 0o022 != 0
        if writableByOthers, !(isParent && permissions & S_ISVTX != 0) {
            return "is writable by group or others (mode \(String(permissions, radix: 8)))"
        }
        return nil
    }
}
