import Foundation

/// The rules of the spec's confinement members (docs/api.md, "Confinement"), with defaults.
extension SandboxSpecRequest {
    struct Confinement {
        var privileged: Bool
        var capabilities: SandboxSpec.Capabilities?
        var seccomp: SandboxSpec.Seccomp?
        var mounts: [SandboxSpec.Mount]
        var rlimits: [String: UInt64]
    }

    func resolveConfinement(namespaces: [NamespaceType]) throws(SpecError) -> Confinement {
        let privileged = self.privileged ?? false
        if privileged {
            if capabilities != nil {
                throw SpecError("capabilities", "contradicts \"privileged\": true, which keeps every capability")
            }
            if seccomp != nil { throw SpecError("seccomp", "contradicts \"privileged\": true, which runs without a filter") }
        } else if !namespaces.contains(.mnt) {
            throw SpecError(
                "namespaces",
                "a confined sandbox needs \"mnt\" for its read-only view of the host; add it, or set \"privileged\": true")
        }
        let mounts = try ConfinementRule.mounts(self.mounts ?? [])
        if !mounts.isEmpty, !namespaces.contains(.mnt) {
            throw SpecError("mounts", "needs the \"mnt\" namespace, which is not requested")
        }
        return Confinement(
            privileged: privileged,
            capabilities: privileged ? nil : try ConfinementRule.capabilities(capabilities),
            seccomp: privileged ? nil : try ConfinementRule.seccomp(seccomp),
            mounts: mounts,
            rlimits: try ConfinementRule.rlimits(rlimits ?? [:]))
    }
}

enum ConfinementRule {
    static func capabilities(_ request: SandboxSpecRequest.StrictCapabilities?) throws(SpecError) -> SandboxSpec.Capabilities {
        func names(_ list: [String]?, member: String) throws(SpecError) -> [String] {
            guard let list else { return [] }
            guard list.count <= 64 else { throw SpecError(member, "must have at most 64 entries") }
            var result: [String] = []
            for (index, name) in list.enumerated() {
                guard let canonical = Capability.canonical(name) else {
                    throw SpecError(
                        "\(member)[\(index)]", "'\(name)' is not a capability (e.g. NET_ADMIN or CAP_NET_ADMIN, or ALL)")
                }
                if !result.contains(canonical) { result.append(canonical) }
            }
            return result
        }
        return SandboxSpec.Capabilities(
            add: try names(request?.add, member: "capabilities.add"),
            drop: try names(request?.drop, member: "capabilities.drop"))
    }

    static func seccomp(_ value: String?) throws(SpecError) -> SandboxSpec.Seccomp {
        guard let value else { return .default }
        guard let mode = SandboxSpec.Seccomp(rawValue: value) else {
            throw SpecError("seccomp", "must be \"default\" or \"unconfined\", not '\(value)'")
        }
        return mode
    }

    static func mounts(_ list: [SandboxSpecRequest.StrictMount]) throws(SpecError) -> [SandboxSpec.Mount] {
        guard list.count <= 64 else { throw SpecError("mounts", "must have at most 64 entries, not \(list.count)") }
        return try list.enumerated().map { (index, mount) throws(SpecError) in try self.mount(mount, member: "mounts[\(index)]") }
    }

    static func mount(_ m: SandboxSpecRequest.StrictMount, member: String) throws(SpecError) -> SandboxSpec.Mount {
        guard let typeName = m.type else { throw SpecError("\(member).type", "is required: \"bind\" or \"tmpfs\"") }
        guard let type = SandboxSpec.Mount.Kind(rawValue: typeName) else {
            throw SpecError("\(member).type", "must be \"bind\" or \"tmpfs\", not '\(typeName)'")
        }
        guard let target = m.target else { throw SpecError("\(member).target", "is required") }
        try SpecRule.path(target, member: "\(member).target")
        guard target != "/" else { throw SpecError("\(member).target", "must not be / (use rootfs for a whole root)") }
        switch type {
        case .bind:
            guard let source = m.source else { throw SpecError("\(member).source", "is required for a bind mount") }
            try SpecRule.path(source, member: "\(member).source")
            guard m.sizeBytes == nil else { throw SpecError("\(member).sizeBytes", "applies to tmpfs mounts only") }
            return .init(type: .bind, source: source, target: target, readOnly: m.readOnly ?? false, sizeBytes: nil)
        case .tmpfs:
            guard m.source == nil else { throw SpecError("\(member).source", "applies to bind mounts only") }
            let size = m.sizeBytes ?? Int64(SandboxSpec.Mount.defaultTmpfsBytes)
            guard (4096...(16 << 30)).contains(size) else {
                throw SpecError("\(member).sizeBytes", "must be from 4096 to 17179869184 (16 GiB)")
            }
            return .init(type: .tmpfs, source: nil, target: target, readOnly: m.readOnly ?? false, sizeBytes: UInt64(size))
        }
    }

    /// The requested limits over the defaults.
    static func rlimits(_ requested: [String: Int64]) throws(SpecError) -> [String: UInt64] {
        var limits = ResourceLimit.defaults
        for (name, value) in requested {
            guard ResourceLimit.resource(name) != nil else {
                throw SpecError("rlimits.\(name)", "is not a limit; one of \(ResourceLimit.names.joined(separator: ", "))")
            }
            guard value >= 0 else { throw SpecError("rlimits.\(name)", "must not be negative") }
            if name == "nofile", value > fileDescriptorCeiling {
                throw SpecError("rlimits.nofile", "must be at most \(fileDescriptorCeiling)")
            }
            limits[name] = UInt64(value)
        }
        return limits
    }

    /// The kernel refuses a file limit above fs.nr_open; the API's bound (api/openapi.yaml) is
    /// 1,048,576, the kernel's default nr_open, whatever a host raised it to.
    static let fileDescriptorCeiling: Int64 = {
        guard let bytes = ProcFS.read("/proc/sys/fs/nr_open"),
            let value = Int64(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            return 1 << 20
        }
        return min(value, 1 << 20)
    }()
}
