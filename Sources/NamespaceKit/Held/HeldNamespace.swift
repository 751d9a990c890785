/// A namespace the server made on its own and keeps alive with an nsfs bind mount
/// (`POST /namespaces`), until `DELETE`. A pid namespace also has a keeper process, its pid 1.
public struct HeldNamespace: Sendable, Equatable, Codable {
    public var type: NamespaceType
    public var name: String
    public var inode: UInt64
    public var labels: [String: String]
    /// The bind mount: `<state dir>/ns/<type>/<name>`.
    public var path: String
    public var createdAt: Double
    /// pid namespaces: the keeper's host pid and start time (field 22 of /proc/PID/stat).
    public var keeperPid: Int32?
    public var keeperStartTime: UInt64?
    /// user namespaces: the maps it was made with, which a sandbox joining it takes on.
    public var uidMappings: [SandboxSpec.IDMapping]?
    public var gidMappings: [SandboxSpec.IDMapping]?
    /// time namespaces: the offsets it was made with.
    public var timeOffsets: SandboxSpec.TimeOffsets?
    /// Found missing at start-up (after a reboot, or unmounted behind the server's back): listed,
    /// never silently dropped, until DELETE.
    public var gone: Bool = false

    var key: HeldKey { HeldKey(type: type, name: name) }
}

/// Held namespaces are unique by name within a type.
struct HeldKey: Hashable, Sendable, Codable {
    var type: NamespaceType
    var name: String
}

/// Why a held-namespace operation was refused; the API maps each case to one problem type.
public enum HeldNamespaceError: Error, Sendable {
    case notFound(NamespaceType, String)
    /// The namespace exists but namespaced does not hold it.
    case notHeld(NamespaceType, UInt64)
    case nameTaken(NamespaceType, String)
    /// Running sandboxes are in it.
    case inUse(NamespaceType, String, sandboxes: [String])
    case sandbox(SandboxError)
}
