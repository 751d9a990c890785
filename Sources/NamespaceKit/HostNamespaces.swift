/// The host's initial namespaces, which `/limits` leaves out of `used`.
/// `/proc/1/ns` is the obvious source, but some hosts deny even root a look at pid 1
/// (an undumpable init); kernel threads always live in the initial namespaces, so kthreadd
/// (pid 2) stands in then. Inode numbers are never hard-coded: they changed in kernel 6.x.
public enum HostNamespaces {
    public static func initial() -> [NamespaceType: UInt64] {
        var result: [NamespaceType: UInt64] = [:]
        let kthreaddVisible = ProcFS.processStat(pid: 2)?.comm == "kthreadd"
        for type in NamespaceType.allCases {
            if let inode = ProcFS.namespaceInode(pid: 1, type: type) {
                result[type] = inode
            } else if kthreaddVisible, let inode = ProcFS.namespaceInode(pid: 2, type: type) {
                result[type] = inode
            }
        }
        return result
    }
}
