/// One namespace as the inventory reports it; the process fields describe the lowest pid in it,
/// as util-linux `lsns` does, and are nil when only an nsfs bind mount holds the namespace.
public struct Namespace: Sendable, Equatable, Encodable {
    public var inode: UInt64
    public var type: NamespaceType
    public var nprocs: Int
    @ExplicitNull public var pid: Int32?
    @ExplicitNull public var ppid: Int32?
    @ExplicitNull public var command: String?
    @ExplicitNull public var uid: UInt32?
    @ExplicitNull public var user: String?
    public var path: String
    @ExplicitNull public var parent: UInt64?
    @ExplicitNull public var owner: UInt64?
    @ExplicitNull public var sandbox: String?
    /// Made and kept alive by namespaced on its own (`POST /namespaces`).
    public var held: Bool = false
    /// A held namespace's name and labels.
    @ExplicitNull public var name: String? = nil
    public var labels: [String: String] = [:]
    /// Ids of the running sandboxes that joined it (SandboxSpec `join`).
    public var joinedBy: [String] = []
    /// A held namespace found missing at start-up (after a reboot): listed until DELETE.
    public var gone: Bool = false
}

/// What the server knows of the namespaces it lists besides procfs: held ones and the sandboxes
/// that joined them. Taken once per listing.
public struct InventoryAnnotation: Sendable {
    public var apply: @Sendable (inout Namespace) -> Void
    /// Held namespaces that are no longer alive, as the listing shows them.
    public var gone: [Namespace]

    public init(apply: @escaping @Sendable (inout Namespace) -> Void = { _ in }, gone: [Namespace] = []) {
        self.apply = apply
        self.gone = gone
    }
}

/// A process inside a namespace, for the detail view.
public struct NamespaceProcess: Sendable, Equatable, Encodable {
    public var pid: Int32
    public var ppid: Int32
    public var command: String
    public var uid: UInt32
}

public struct NamespaceDetail: Sendable, Equatable {
    public var namespace: Namespace
    public var processes: [NamespaceProcess]
}

/// What `GET /namespaces` may filter on; every set filter must hold.
public struct InventoryQuery: Sendable, Equatable {
    public var types: Set<NamespaceType>
    /// Only the namespaces this process is in.
    @ExplicitNull public var pid: Int32?
    /// Only the namespaces in which a process owned by this uid runs.
    @ExplicitNull public var uid: UInt32?

    public init(types: Set<NamespaceType> = Set(NamespaceType.allCases), pid: Int32? = nil, uid: UInt32? = nil) {
        self.types = types.isEmpty ? Set(NamespaceType.allCases) : types
        self.pid = pid
        self.uid = uid
    }
}

public enum InventoryError: Error, Sendable, Equatable {
    case noSuchNamespace(NamespaceType, UInt64)
    case noSuchProcess(Int32)
}
