/// The input bounds of docs/api.md ("Input bounds"), applied once, with the defaults filled in.
extension SandboxSpecRequest {
    public func resolve() throws(SpecError) -> SandboxSpec {
        let join = try SpecRule.join(self.join ?? [:], namespaces: self.namespaces, privileged: privileged ?? false)
        let joined = Set(join.keys.compactMap(NamespaceType.init(rawValue:)))
        // Without an explicit list, the default one less what is joined.
        let namespaces = try Self.checkNamespaces(
            self.namespaces ?? SandboxSpec.defaultNamespaces.filter { !joined.contains($0) })
        func require(_ type: NamespaceType, for member: String) throws(SpecError) {
            guard namespaces.contains(type) else {
                throw SpecError(member, "needs the \"\(type.rawValue)\" namespace, which is not requested")
            }
        }
        if let name { try SpecRule.name(name) }
        let command = try SpecRule.command(self.command)
        if let hostname {
            try require(.uts, for: "hostname")
            try SpecRule.hostname(hostname)
        }
        if let domainname {
            try require(.uts, for: "domainname")
            try SpecRule.text(domainname, member: "domainname", maxBytes: 64)
        }
        let env = try SpecRule.env(self.env ?? ["PATH": SandboxSpec.defaultPath])
        let cwd = self.cwd ?? "/"
        try SpecRule.path(cwd, member: "cwd")
        if let rootfs {
            try require(.mnt, for: "rootfs")
            try SpecRule.path(rootfs, member: "rootfs")
            guard rootfs != "/" else { throw SpecError("rootfs", "must not be / (leave it out to share the host's root)") }
        }
        if readonlyRootfs == true, rootfs == nil { throw SpecError("readonlyRootfs", "needs rootfs") }
        let canMountProc = (namespaces.contains(.pid) || joined.contains(.pid)) && namespaces.contains(.mnt)
        if mountProc == true, !canMountProc { throw SpecError("mountProc", "needs both the \"pid\" and \"mnt\" namespaces") }

        var uidMappings: [SandboxSpec.IDMapping]?
        var gidMappings: [SandboxSpec.IDMapping]?
        if joined.contains(.user) {
            if self.uidMappings != nil || self.gidMappings != nil {
                throw SpecError(
                    self.uidMappings != nil ? "uidMappings" : "gidMappings",
                    "contradicts join.user: the joined namespace's mappings apply")
            }
        } else if namespaces.contains(.user) {
            uidMappings = try SpecRule.mappings(
                self.uidMappings?.map(\.value) ?? SandboxSpec.defaultMapping, member: "uidMappings")
            gidMappings = try SpecRule.mappings(
                self.gidMappings?.map(\.value) ?? SandboxSpec.defaultMapping, member: "gidMappings")
        } else {
            if self.uidMappings != nil { try require(.user, for: "uidMappings") }
            if self.gidMappings != nil { try require(.user, for: "gidMappings") }
        }
        let user = self.user?.value ?? SandboxSpec.Identity(uid: 0, gid: 0)
        try SpecRule.identity(user, uidMappings: uidMappings, gidMappings: gidMappings)
        if let offsets = timeOffsets?.value {
            try require(.time, for: "timeOffsets")
            try SpecRule.offset(offsets.monotonic, member: "timeOffsets.monotonic")
            try SpecRule.offset(offsets.boottime, member: "timeOffsets.boottime")
        }
        let labels = try SpecRule.labels(self.labels ?? [:])
        let confinement = try resolveConfinement(namespaces: namespaces)
        return SandboxSpec(
            name: name, command: command, namespaces: namespaces,
            hostname: namespaces.contains(.uts) ? hostname : nil, domainname: domainname, env: env, cwd: cwd,
            rootfs: rootfs, readonlyRootfs: readonlyRootfs ?? false, mountProc: mountProc ?? canMountProc, user: user,
            uidMappings: uidMappings, gidMappings: gidMappings,
            timeOffsets: namespaces.contains(.time) ? (timeOffsets?.value ?? .init(monotonic: 0, boottime: 0)) : nil,
            labels: labels, privileged: confinement.privileged, capabilities: confinement.capabilities,
            seccomp: confinement.seccomp, mounts: confinement.mounts, rlimits: confinement.rlimits,
            resources: try resolveResources(), join: join)
    }

    static func checkNamespaces(_ list: [NamespaceType]) throws(SpecError) -> [NamespaceType] {
        var seen = Set<NamespaceType>()
        for type in list where !seen.insert(type).inserted {
            throw SpecError("namespaces", "\"\(type.rawValue)\" is listed twice")
        }
        return list
    }
}

/// One function per rule of the input bounds.
enum SpecRule {
    static func name(_ name: String) throws(SpecError) {
        let bytes = Array(name.utf8)
        func isAlnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        guard (1...63).contains(bytes.count), isAlnum(bytes[0]),
            bytes.dropFirst().allSatisfy({ isAlnum($0) || $0 == 95 || $0 == 46 || $0 == 45 })
        else {
            throw SpecError("name", "must match [a-z0-9][a-z0-9_.-]{0,62}")
        }
    }

    /// `join`: per type a held namespace's name, an inode, `sandbox:REF` or an absolute nsfs path.
    /// A type both created and joined contradicts itself; a confined sandbox builds its view in a
    /// mount namespace of its own, so joining one needs `privileged`.
    static func join(_ join: [String: String], namespaces: [NamespaceType]?, privileged: Bool) throws(SpecError) -> [String:
        String]
    {
        for (key, target) in join {
            guard let type = NamespaceType(rawValue: key) else {
                throw SpecError(
                    "join",
                    "'\(key)' is not a namespace type; expected one of \(NamespaceType.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            try text(target, member: "join.\(key)", maxBytes: 4096)
            guard !target.isEmpty else {
                throw SpecError("join.\(key)", "must name a namespace: a held name, an inode, sandbox:REF or an nsfs path")
            }
            if target.hasPrefix("/") { try path(target, member: "join.\(key)") }
            if namespaces?.contains(type) == true {
                throw SpecError(
                    "join.\(key)", "\"\(key)\" is also in namespaces: a sandbox either creates a namespace or joins one")
            }
            if type == .mnt, !privileged {
                throw SpecError(
                    "join.mnt",
                    "a confined sandbox builds its read-only view in a mount namespace of its own; joining one needs \"privileged\": true"
                )
            }
        }
        return join
    }

    static func command(_ command: [String]?) throws(SpecError) -> [String] {
        guard let command else {
            throw SpecError("command", "is required: the argv to run, e.g. [\"/bin/sh\", \"-c\", \"echo hi\"]")
        }
        guard (1...4096).contains(command.count) else {
            throw SpecError("command", "must have 1 to 4096 strings, not \(command.count)")
        }
        for (index, argument) in command.enumerated() {
            try text(argument, member: "command[\(index)]", maxBytes: 65536)
        }
        guard !command[0].isEmpty else { throw SpecError("command[0]", "must not be empty") }
        return command
    }

    /// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
    static func hostname(_ hostname: String) throws(SpecError) {
        let bytes = Array(hostname.utf8)
        guard (1...64).contains(bytes.count) else { throw SpecError("hostname", "must be 1 to 64 bytes") }
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            let valid =
                (1...63).contains(label.count) && label.first != 45 && label.last != 45
                && label.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
            guard valid else { throw SpecError("hostname", "'\(hostname)' is not a valid RFC 1123 host name") }
        }
    }

    static func text(_ value: String, member: String, maxBytes: Int) throws(SpecError) {
        guard value.utf8.count <= maxBytes else { throw SpecError(member, "must be at most \(maxBytes) bytes") }
        guard !value.utf8.contains(0) else { throw SpecError(member, "must not contain a NUL byte") }
    }

    static func env(_ env: [String: String]) throws(SpecError) -> [String: String] {
        guard env.count <= 4096 else { throw SpecError("env", "must have at most 4096 entries, not \(env.count)") }
        for (key, value) in env {
            let bytes = Array(key.utf8)
            func isStart(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 }
            guard let first = bytes.first, isStart(first), bytes.allSatisfy({ isStart($0) || ($0 >= 48 && $0 <= 57) }) else {
                throw SpecError("env", "key '\(key)' must match [A-Za-z_][A-Za-z0-9_]*")
            }
            try text(value, member: "env.\(key)", maxBytes: 65536)
        }
        return env
    }

    /// Absolute and normalised: no `.` or `..` component, no empty component, no trailing slash.
    static func path(_ path: String, member: String) throws(SpecError) {
        try text(path, member: member, maxBytes: 4096)
        guard path.hasPrefix("/") else { throw SpecError(member, "must be an absolute path") }
        guard path != "/" else { return }
        let components = path.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for component in components {
            let text = String(decoding: component, as: UTF8.self)
            guard !text.isEmpty, text != ".", text != ".." else {
                throw SpecError(member, "must be a normalised path without '.', '..' or empty components")
            }
        }
    }

    static func mappings(_ list: [SandboxSpec.IDMapping], member: String) throws(SpecError) -> [SandboxSpec.IDMapping] {
        guard (1...340).contains(list.count) else { throw SpecError(member, "must have 1 to 340 entries") }
        for (index, mapping) in list.enumerated() {
            guard mapping.count >= 1 else { throw SpecError("\(member)[\(index)].count", "must be at least 1") }
            guard UInt64(mapping.insideId) + UInt64(mapping.count) <= 1 << 32,
                UInt64(mapping.outsideId) + UInt64(mapping.count) <= 1 << 32
            else {
                throw SpecError("\(member)[\(index)]", "id + count must not exceed 4294967296")
            }
        }
        for side in [\SandboxSpec.IDMapping.insideId, \SandboxSpec.IDMapping.outsideId] {
            let ranges = list.map { (start: UInt64($0[keyPath: side]), end: UInt64($0[keyPath: side]) + UInt64($0.count)) }
                .sorted { $0.start < $1.start }
            for (a, b) in zip(ranges, ranges.dropFirst()) where b.start < a.end {
                throw SpecError(member, "ranges overlap at id \(b.start)")
            }
        }
        return list
    }

    static func identity(
        _ user: SandboxSpec.Identity, uidMappings: [SandboxSpec.IDMapping]?,
        gidMappings: [SandboxSpec.IDMapping]?
    ) throws(SpecError) {
        // (uid_t)-1 means "leave unchanged" to setresuid.
        guard user.uid != UInt32.max else { throw SpecError("user.uid", "4294967295 is reserved") }
        guard user.gid != UInt32.max else { throw SpecError("user.gid", "4294967295 is reserved") }
        func mapped(_ id: UInt32, _ list: [SandboxSpec.IDMapping]) -> Bool {
            list.contains { UInt64(id) >= UInt64($0.insideId) && UInt64(id) < UInt64($0.insideId) + UInt64($0.count) }
        }
        if let uidMappings, !mapped(user.uid, uidMappings) {
            throw SpecError("user.uid", "\(user.uid) is not mapped by uidMappings")
        }
        if let gidMappings, !mapped(user.gid, gidMappings) {
            throw SpecError("user.gid", "\(user.gid) is not mapped by gidMappings")
        }
    }

    static func offset(_ seconds: Int64, member: String) throws(SpecError) {
        guard seconds >= -(1 << 31), seconds <= (1 << 31) - 1 else {
            throw SpecError(member, "must be within ±2147483648 seconds")
        }
    }

    static func labels(_ labels: [String: String]) throws(SpecError) -> [String: String] {
        guard labels.count <= 64 else { throw SpecError("labels", "must have at most 64 entries") }
        for (key, value) in labels {
            // Counted in characters (Unicode scalars), as JSON Schema's maxLength counts.
            guard (1...63).contains(key.unicodeScalars.count), !key.utf8.contains(0), !key.contains("=") else {
                throw SpecError("labels", "key '\(key)' must be 1 to 63 characters without '=' or NUL")
            }
            guard value.unicodeScalars.count <= 255, !value.utf8.contains(0) else {
                throw SpecError("labels.\(key)", "must be at most 255 characters without NUL")
            }
        }
        return labels
    }
}
