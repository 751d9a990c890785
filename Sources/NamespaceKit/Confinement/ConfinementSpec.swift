/// The confinement members of a SandboxSpec, with every default filled in.
extension SandboxSpec {
    /// Changes to Docker's default capability set, in canonical spelling (upper case, no "CAP_").
    public struct Capabilities: Sendable, Equatable, Codable {
        public var add: [String]
        public var drop: [String]

        /// The set the sandbox's command keeps: Docker's defaults, then `drop`, then `add`.
        public var effective: Set<String> { Capability.effective(add: add, drop: drop) }
    }

    public enum Seccomp: String, Sendable, Equatable, Codable, CaseIterable {
        case `default`
        case unconfined
    }

    public struct Mount: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Equatable, Codable, CaseIterable {
            case bind, tmpfs
        }

        public var type: Kind
        /// bind only: the host path.
        public var source: String?
        public var target: String
        public var readOnly: Bool
        /// tmpfs only.
        public var sizeBytes: UInt64?

        public static let defaultTmpfsBytes: UInt64 = 64 << 20
    }

    /// Paths of a fresh /proc and of /sys that a confined sandbox must not read (masked) or
    /// write (read-only), as Docker's defaults do.
    static let maskedPaths = [
        "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/kmsg", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]
    static let readOnlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
}
