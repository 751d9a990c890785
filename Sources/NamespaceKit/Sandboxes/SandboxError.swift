import SystemPackage

/// Why a sandbox operation was refused or failed; the API maps each case to one problem type.
public enum SandboxError: Error, Sendable {
    case notFound(String)
    case nameTaken(String)
    case notRunning(String)
    case namespaceLimit(type: NamespaceType, max: Int, used: Int)
    case quota(max: Int, used: Int)
    case spawnFailed(step: String, errno: Errno)
    case storage(SystemError)
    case idempotencyInProgress(String)
    case execLimit(Int)
    /// A spec that passed the member rules but breaks one that needs the server's own state
    /// (a bind source inside its state directory).
    case invalidSpec(SpecError)
    /// A `join` target that names no namespace of that type (or one that is gone).
    case unknownJoinTarget(type: NamespaceType, target: String, reason: String)
    /// The server failed on its own side; the request was fine.
    case internalFailure(String)
}
