/// The spec's `resources`: limits enforced through the sandbox's cgroup, and the cap on each log.
extension SandboxSpec {
    public struct Resources: Sendable {
        public static let defaultPids: Int64 = 4096
        public static let defaultLogBytes: Int64 = 64 << 20
        public static let memoryRange: ClosedRange<Int64> = (4 << 20)...(1 << 40)
        public static let cpusRange: ClosedRange<Double> = 0.01...1024
        public static let pidsRange: ClosedRange<Int64> = 1...4_194_304
        public static let logBytesRange: ClosedRange<Int64> = 4096...(1 << 40)

        public var memoryBytes: Int64?
        public var cpus: Double?
        /// nil: no pids limit (asked for with `"pids": null`, or no pids controller on the host).
        public var pids: Int64?
        /// Per stream: what a log keeps before it ends with a marker line.
        public var logBytes: Int64
        /// `pids` was left out: the server fills in its default when it has a pids controller.
        public var pidsDefaulted: Bool

        public init(
            memoryBytes: Int64? = nil, cpus: Double? = nil, pids: Int64? = nil,
            logBytes: Int64 = defaultLogBytes, pidsDefaulted: Bool = false
        ) {
            self.memoryBytes = memoryBytes
            self.cpus = cpus
            self.pids = pids
            self.logBytes = logBytes
            self.pidsDefaulted = pidsDefaulted
        }

        /// Records journaled before resources existed: no cgroup limits, the default log cap.
        public static let none = Resources()

        /// The cgroup controllers these limits need.
        public var controllers: [CgroupController] {
            (memoryBytes != nil ? [.memory] : []) + (cpus != nil ? [.cpu] : []) + (pids != nil ? [.pids] : [])
        }
    }
}

/// What a spec says: `pidsDefaulted` is how it came about, not part of it.
extension SandboxSpec.Resources: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        a.memoryBytes == b.memoryBytes && a.cpus == b.cpus && a.pids == b.pids && a.logBytes == b.logBytes
    }
}

extension SandboxSpec.Resources: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable { case memoryBytes, cpus, pids, logBytes }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        memoryBytes = try c.decodeIfPresent(Int64.self, forKey: .memoryBytes)
        cpus = try c.decodeIfPresent(Double.self, forKey: .cpus)
        pids = try c.decodeIfPresent(Int64.self, forKey: .pids)
        logBytes = try c.decodeIfPresent(Int64.self, forKey: .logBytes) ?? Self.defaultLogBytes
        pidsDefaulted = false
    }

    /// Every member, null where there is no limit.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(memoryBytes, forKey: .memoryBytes)
        try c.encode(cpus, forKey: .cpus)
        try c.encode(pids, forKey: .pids)
        try c.encode(logBytes, forKey: .logBytes)
    }
}

extension SandboxSpecRequest {
    /// `resources` as a client sends it; `"pids": null` is kept apart from a missing `pids`.
    public struct StrictResources: Sendable, Decodable {
        var memoryBytes: Int64?
        var cpus: Double?
        var pids: Int64?
        var pidsIsNull = false
        var logBytes: Int64?

        public init(from decoder: Decoder) throws {
            let names = SandboxSpec.Resources.CodingKeys.allCases.map(\.stringValue)
            // null is how a limit is echoed when there is none, so a spec can be sent again as echoed.
            try checkMembers(decoder, allowed: names, nullable: ["memoryBytes", "cpus", "pids"])
            let c = try decoder.container(keyedBy: AnyKey.self)
            func whole(_ name: String) throws -> Int64? {
                let key = AnyKey(name)
                guard c.contains(key), !(try c.decodeNil(forKey: key)) else { return nil }
                do { return try c.decode(Int64.self, forKey: key) } catch DecodingError.dataCorrupted {
                    throw DecodingError.dataCorrupted(
                        .init(codingPath: c.codingPath + [key], debugDescription: "must be a whole number"))
                }
            }
            memoryBytes = try whole("memoryBytes")
            pids = try whole("pids")
            let pidsKey = AnyKey("pids")
            pidsIsNull = try c.contains(pidsKey) ? c.decodeNil(forKey: pidsKey) : false
            logBytes = try whole("logBytes")
            cpus = try c.decodeIfPresent(Double.self, forKey: AnyKey("cpus"))
        }
    }

    func resolveResources() throws(SpecError) -> SandboxSpec.Resources {
        typealias R = SandboxSpec.Resources
        let given = resources
        if let memory = given?.memoryBytes, !R.memoryRange.contains(memory) {
            throw SpecError("resources.memoryBytes", "must be from 4194304 (4 MiB) to 1099511627776 (1 TiB), not \(memory)")
        }
        if let cpus = given?.cpus, !(cpus.isFinite && R.cpusRange.contains(cpus)) {
            throw SpecError("resources.cpus", "must be from 0.01 to 1024, not \(cpus)")
        }
        if let pids = given?.pids, !R.pidsRange.contains(pids) {
            throw SpecError("resources.pids", "must be from 1 to 4194304 (or null for no limit), not \(pids)")
        }
        if let log = given?.logBytes, !R.logBytesRange.contains(log) {
            throw SpecError("resources.logBytes", "must be from 4096 to 1099511627776 (1 TiB), not \(log)")
        }
        let defaulted = given?.pids == nil && given?.pidsIsNull != true
        return R(
            memoryBytes: given?.memoryBytes, cpus: given?.cpus, pids: given?.pids,
            logBytes: given?.logBytes ?? R.defaultLogBytes, pidsDefaulted: defaulted)
    }
}
