/// Linux capabilities by name, as capabilities(7) and the spec's `capabilities` spell them.
public enum Capability {
    /// Index = capability number (CAP_CHOWN is 0); up to CAP_CHECKPOINT_RESTORE (40, Linux 5.9).
    static let names = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ]

    /// Docker's default set (moby's `oci/caps/defaults.go`): what a default sandbox keeps.
    public static let defaults = [
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP",
        "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    ]

    /// "ALL" in `add` or `drop` stands for every capability.
    static let all = "ALL"

    /// The canonical spelling of a name given with or without "CAP_", in any case; nil if unknown.
    static func canonical(_ name: String) -> String? {
        var upper = name.uppercased()
        if upper.hasPrefix("CAP_") { upper.removeFirst(4) }
        return upper == all || names.contains(upper) ? upper : nil
    }

    /// The bit mask of a set of canonical names ("ALL" included).
    static func mask(_ set: Set<String>) -> UInt64 {
        if set.contains(all) { return (1 << UInt64(names.count)) - 1 }
        return set.reduce(0) { mask, name in names.firstIndex(of: name).map { mask | (1 << UInt64($0)) } ?? mask }
    }

    /// Docker's defaults, then `drop`, then `add` (so `drop: ["ALL"], add: ["X"]` keeps only X).
    static func effective(add: [String], drop: [String]) -> Set<String> {
        var set = Set(defaults)
        if drop.contains(all) { set.removeAll() } else { set.subtract(drop) }
        if add.contains(all) { return Set(names) }
        return set.union(add)
    }
}
