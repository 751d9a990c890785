/// The kernel's `max_*_namespaces` sysctls next to how many namespaces of each type live now.
public struct NamespaceLimit: Sendable, Equatable {
    public var type: NamespaceType
    public var max: Int
    public var used: Int
    public var available: Int { Swift.max(0, max - used) }
    public var sysctl: String { type.sysctlPath }
}

public struct Limits: Sendable {
    private let usage: NamespaceUsage
    private let maxAge: Double

    /// - Parameter maxAge: how old, in seconds, the count of live namespaces may be.
    public init(usage: NamespaceUsage, maxAge: Double) {
        self.usage = usage
        self.maxAge = maxAge
    }

    /// All eight types; `used` leaves out the host's initial namespace of each type.
    public func current() throws(SystemError) -> [NamespaceLimit] {
        let used = usage.counts(maxAge: maxAge)
        let maxima = usage.maxima(maxAge: maxAge)
        return try NamespaceType.allCases.map { type throws(SystemError) in
            let max: Int
            if let cached = maxima[type] { max = cached } else { max = try Self.readMax(type) }
            return NamespaceLimit(type: type, max: max, used: used[type] ?? 0)
        }
    }

    static func used(_ live: [NamespaceType: Set<UInt64>]) -> [NamespaceType: Int] {
        let initial = HostNamespaces.initial()
        var result: [NamespaceType: Int] = [:]
        for type in NamespaceType.allCases {
            var inodes = live[type] ?? []
            if let host = initial[type] { inodes.remove(host) }
            result[type] = inodes.count
        }
        return result
    }

    static func readMax(_ type: NamespaceType) throws(SystemError) -> Int {
        guard let bytes = ProcFS.read(type.sysctlPath, limit: 64) else {
            throw SystemError("open", type.sysctlPath)
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace
        guard let value = Int(text) else {
            throw SystemError("read", type.sysctlPath, errno: .invalidArgument)
        }
        return value
    }
}

extension String {
    var trimmingWhitespace: String {
        String(self.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
