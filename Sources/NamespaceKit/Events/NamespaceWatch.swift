/// Namespace and limit changes found by comparing two inventory passes: procfs has no
/// notification for a namespace coming or going, so a watcher rescans and diffs.
public struct NamespaceWatch: Sendable {
    private let inventory: Inventory
    private var previous: [UInt64: Namespace]?
    private var previousLimits: [NamespaceType: NamespaceLimit] = [:]

    public init(inventory: Inventory) {
        self.inventory = inventory
    }

    /// One pass; the first only sets the baseline and reports nothing.
    public mutating func poll() -> [ChangeEvent] {
        let current = Dictionary(inventory.list().map { ($0.inode, $0) }, uniquingKeysWith: { first, _ in first })
        defer { previous = current }
        var events: [ChangeEvent] = []
        let limits = Self.limits(current)
        if let previous {
            for (inode, namespace) in current where previous[inode] == nil { events.append(.namespaceCreated(namespace)) }
            for (inode, namespace) in previous where current[inode] == nil { events.append(.namespaceRemoved(namespace)) }
            for type in NamespaceType.allCases {
                if let now = limits[type], now != previousLimits[type] { events.append(.limitsChanged(now)) }
            }
        }
        previousLimits = limits
        return events.sorted { Self.order($0) < Self.order($1) }
    }

    /// Forgets the baseline (nobody watched for a while: what changed meanwhile is not news).
    public mutating func reset() {
        previous = nil
    }

    private static func limits(_ namespaces: [UInt64: Namespace]) -> [NamespaceType: NamespaceLimit] {
        var live: [NamespaceType: Set<UInt64>] = [:]
        for (inode, namespace) in namespaces { live[namespace.type, default: []].insert(inode) }
        let used = Limits.used(live)
        var result: [NamespaceType: NamespaceLimit] = [:]
        for type in NamespaceType.allCases {
            guard let max = try? Limits.readMax(type) else { continue }
            result[type] = NamespaceLimit(type: type, max: max, used: used[type] ?? 0)
        }
        return result
    }

    /// Namespaces by inode, then limits: a stable order for the same pass.
    private static func order(_ event: ChangeEvent) -> UInt64 {
        switch event {
        case .namespaceCreated(let namespace), .namespaceRemoved(let namespace): namespace.inode
        default: UInt64.max
        }
    }
}
