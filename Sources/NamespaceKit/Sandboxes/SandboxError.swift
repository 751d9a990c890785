import SystemPackage

/// Why a sandbox operation was refused or failed; the API maps each case to one problem type.
public enum SandboxError: Error, Sendable {
    case notFound(String)
    case nameTaken(String)
    case notRunning(String)
    case namespaceLimit(type: NamespaceType, max: Int, used: Int)
    case quota(max: Int, used: Int)
    /// The sandbox could not start. `step` is one of the stable step names (docs/api.md);
    /// `detail` names the path, mount or command the step worked on.
    case spawnFailed(step: String, errno: Errno, detail: String? = nil)
    /// An exec's command could not start in the sandbox; the same steps as `spawnFailed`.
    case execFailed(step: String, errno: Errno, detail: String? = nil)
    /// The Idempotency-Key was used before with a different request body.
    case idempotencyMismatch(String)
    case storage(SystemError)
    case idempotencyInProgress(String)
    case execLimit(Int)
    /// A spec that passed the member rules but breaks one that needs the server's own state
    /// (a bind source inside its state directory).
    case invalidSpec(SpecError)
    /// The spec asks for a limit whose cgroup controller the server has not got.
    case resourceUnavailable(member: String, controller: CgroupController)
    /// A `join` target that names no namespace of that type (or one that is gone).
    case unknownJoinTarget(type: NamespaceType, target: String, reason: String)
    /// The server failed on its own side; the request was fine.
    case internalFailure(String)
}
