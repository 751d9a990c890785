/// Something that changed on the host or in the registry, as watchers are told about it.
public enum ChangeEvent: Sendable {
    case sandboxCreated(Sandbox)
    case sandboxExited(Sandbox)
    case sandboxDeleted(Sandbox)
    case namespaceCreated(Namespace)
    case namespaceRemoved(Namespace)
    case limitsChanged(NamespaceLimit)

    /// The families a watcher can ask for.
    public enum Family: String, Sendable, CaseIterable {
        case sandbox, namespace, limits
    }

    /// `family.what`, e.g. `sandbox.exited`.
    public var name: String {
        switch self {
        case .sandboxCreated: "sandbox.created"
        case .sandboxExited: "sandbox.exited"
        case .sandboxDeleted: "sandbox.deleted"
        case .namespaceCreated: "namespace.created"
        case .namespaceRemoved: "namespace.removed"
        case .limitsChanged: "limits.changed"
        }
    }

    public var family: Family {
        switch self {
        case .sandboxCreated, .sandboxExited, .sandboxDeleted: .sandbox
        case .namespaceCreated, .namespaceRemoved: .namespace
        case .limitsChanged: .limits
        }
    }

    /// Every event name there is.
    public static let names = [
        "sandbox.created", "sandbox.exited", "sandbox.deleted", "namespace.created", "namespace.removed", "limits.changed",
    ]
}
