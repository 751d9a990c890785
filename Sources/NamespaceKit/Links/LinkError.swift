import SystemPackage

/// Why a link could not be made, found or removed.
public enum LinkError: Error, Sendable, Equatable {
    /// A request member breaks a rule; nothing was done.
    case invalid(member: String, rule: String)
    /// An interface of that name exists already on that side; nothing was done.
    case nameTaken(name: String, side: Side)
    /// The namespace is the server's own: a link joins another namespace to it.
    case serversOwnNamespace
    case noSuchLink(String)
    /// The kernel refused a step (on that side, where it matters); everything made before it
    /// was undone.
    case failed(step: String, side: Side?, errno: Errno)

    public enum Side: String, Sendable {
        /// The server's network namespace, where host ends go.
        case host
        /// The namespace the link leads into.
        case inside
    }
}
