import Foundation

/// A sandbox as the registry keeps it and the API shows it.
public struct Sandbox: Sendable, Equatable {
    public enum State: String, Sendable, Codable { case running, exited }

    public var id: String
    public var name: String?
    public var state: State
    /// Host pid of the sandbox's first process (its init).
    public var pid: Int32
    /// Field 22 of /proc/PID/stat at creation: with the pid, it tells our init from a recycled pid.
    public var startTime: UInt64
    public var createdAt: Date
    public var exitedAt: Date?
    public var exitCode: Int32?
    /// Number of the signal that ended the command.
    public var signal: Int32?
    /// The sandbox ended while nobody could observe it and left no exit record.
    public var exitStatusUnknown: Bool
    public var namespaces: [NamespaceType: UInt64?]
    public var spec: SandboxSpec
    /// Nil without cgroups (`--cgroup-driver none`).
    public var cgroup: SandboxCgroup?
    /// The kernel's OOM killer killed a process of the sandbox (read when it exited).
    public var oomKilled: Bool = false

    public var labels: [String: String] { spec.labels }
}

extension Sandbox: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, name, state, pid, createdAt, exitedAt, exitCode, signal, exitStatusUnknown, oomKilled, cgroup, namespaces
        case spec, labels
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(state, forKey: .state)
        try c.encode(pid, forKey: .pid)
        try c.encode(Timestamp.format(createdAt), forKey: .createdAt)
        try c.encode(exitedAt.map(Timestamp.format), forKey: .exitedAt)
        try c.encode(exitCode, forKey: .exitCode)
        try c.encode(signal.map(SignalName.name(of:)), forKey: .signal)
        try c.encode(exitStatusUnknown, forKey: .exitStatusUnknown)
        try c.encode(oomKilled, forKey: .oomKilled)
        try c.encode(cgroup?.path, forKey: .cgroup)
        try c.encode(NamespaceInodes(namespaces), forKey: .namespaces)
        try c.encode(spec, forKey: .spec)
        try c.encode(labels, forKey: .labels)
    }
}

/// RFC 3339 UTC with milliseconds, as docs/api.md's examples.
public enum Timestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!)

    public static func format(_ date: Date) -> String {
        style.format(date)
    }
}
