#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SystemPackage

/// A sandbox's cgroup: a directory named after the sandbox in each hierarchy the layout uses.
/// Recorded with the sandbox, so a restarted server finds it whatever its flags are then.
public struct SandboxCgroup: Sendable, Equatable, Codable {
    /// The cgroup2 directory (placement, `cgroup.kill`, `cpu.stat`), if any.
    public var unified: String?
    /// Per controller, the directory holding its files (the cgroup2 one or a v1 one).
    public var controllers: [String: String]

    /// The directory the API shows: where the sandbox's processes are placed and killed.
    public var path: String? { unified ?? controllers["freezer"] ?? controllers.values.sorted().first }

    func directory(_ controller: CgroupController) -> String? { controllers[controller.rawValue] }
    func isUnified(_ controller: CgroupController) -> Bool { unified != nil && directory(controller) == unified }

    /// The cgroup v1 directories, each once.
    var v1Directories: [String] { Array(Set(controllers.values.filter { $0 != unified })).sorted() }
    var allDirectories: [String] { (unified.map { [$0] } ?? []) + v1Directories }

    init(id: String, layout: CgroupLayout) {
        unified = layout.unified.map { "\($0)/\(id)" }
        controllers = [:]
        for (controller, parent) in layout.parents { controllers[controller.rawValue] = "\(parent)/\(id)" }
    }

    // MARK: create

    /// Makes the directories and writes the limits, before anything runs in them. On failure
    /// whatever was made is removed again.
    func create(_ resources: SandboxSpec.Resources) throws(SystemError) {
        do throws(SystemError) {
            // A parent removed meanwhile (a server sharing it stopped) is made again.
            for directory in allDirectories where mkdir(directory, 0o755) != 0 && errno != EEXIST {
                try CgroupFiles.makeDirectories(directory)
            }
            if let bytes = resources.memoryBytes, let directory = directory(.memory) {
                if isUnified(.memory) {
                    try CgroupFiles.write(directory + "/memory.max", String(bytes))
                    // The limit is on memory: swapping past it would only make the sandbox slow.
                    if CgroupFiles.exists(directory + "/memory.swap.max") {
                        try CgroupFiles.write(directory + "/memory.swap.max", "0")
                    }
                } else {
                    try CgroupFiles.write(directory + "/memory.limit_in_bytes", String(bytes))
                    if CgroupFiles.exists(directory + "/memory.memsw.limit_in_bytes") {
                        try CgroupFiles.write(directory + "/memory.memsw.limit_in_bytes", String(bytes))
                    }
                }
            }
            if let pids = resources.pids, let directory = directory(.pids) {
                try CgroupFiles.write(directory + "/pids.max", String(pids))
            }
            if let cpus = resources.cpus, let directory = directory(.cpu) {
                let quota = Self.quota(cpus: cpus)
                if isUnified(.cpu) {
                    try CgroupFiles.write(directory + "/cpu.max", "\(quota) \(Self.period)")
                } else {
                    try CgroupFiles.write(directory + "/cpu.cfs_period_us", String(Self.period))
                    try CgroupFiles.write(directory + "/cpu.cfs_quota_us", String(quota))
                }
            }
        } catch {
            remove()
            throw error
        }
    }

    /// cpu.max's period, as Docker and the kernel's default: 100 ms.
    static let period = 100_000
    static func quota(cpus: Double) -> Int { max(1000, Int((cpus * Double(period)).rounded())) }

    /// What a process needs to start inside: the cgroup2 directory (for CLONE_INTO_CGROUP) and
    /// each v1 hierarchy's cgroup.procs (the process writes itself in). Close them once the
    /// spawner has them.
    struct Handles {
        var directory: FileDescriptor?
        var procs: [FileDescriptor]

        func close() {
            try? directory?.close()
            for file in procs { try? file.close() }
        }
    }

    func open() throws(SystemError) -> Handles {
        var handles = Handles(directory: nil, procs: [])
        do throws(SystemError) {
            if let unified {
                let fd = Glibc.open(unified, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard fd >= 0 else { throw SystemError("open", unified) }
                handles.directory = FileDescriptor(rawValue: fd)
            }
            for directory in v1Directories {
                let fd = Glibc.open(directory + "/cgroup.procs", O_WRONLY | O_CLOEXEC)
                guard fd >= 0 else { throw SystemError("open", directory + "/cgroup.procs") }
                handles.procs.append(FileDescriptor(rawValue: fd))
            }
        } catch {
            handles.close()
            throw error
        }
        return handles
    }

    // MARK: kill and remove

    /// Kills every process in the cgroup: `cgroup.kill` on cgroup2; on cgroup v1 the freezer
    /// stops them first so none can fork while it is being killed. Returns once the cgroup is
    /// empty (or after `seconds`).
    @discardableResult
    func killAll(within seconds: Double = 5) -> Bool {
        if let unified, (try? CgroupFiles.write(unified + "/cgroup.kill", "1")) != nil {
            return waitEmpty(within: seconds)
        }
        if let freezer = directory(.freezer), (try? CgroupFiles.write(freezer + "/freezer.state", "FROZEN")) != nil {
            let frozen = poll(within: 1) { CgroupFiles.read(freezer + "/freezer.state")?.hasPrefix("FROZEN") == true }
            for pid in CgroupFiles.pids(freezer + "/cgroup.procs") { kill(pid, SIGKILL) }
            try? CgroupFiles.write(freezer + "/freezer.state", "THAWED")
            if frozen, waitEmpty(within: seconds) { return true }
        }
        // No freezer: kill until nothing is left (a fork between read and kill is caught next round).
        return poll(within: seconds) {
            let pids = v1Directories.flatMap { CgroupFiles.pids($0 + "/cgroup.procs") }
            for pid in pids { kill(pid, SIGKILL) }
            return pids.isEmpty
        }
    }

    var isEmpty: Bool {
        if let unified, let populated = CgroupFiles.keyed(unified + "/cgroup.events", "populated") { return populated == 0 }
        return allDirectories.allSatisfy { CgroupFiles.pids($0 + "/cgroup.procs").isEmpty }
    }

    func waitEmpty(within seconds: Double) -> Bool { poll(within: seconds) { isEmpty } }

    /// Removes the directories; what is already gone is fine. A cgroup still emptying answers
    /// EBUSY for a moment after its last process was reaped: retried briefly.
    @discardableResult
    func remove() -> Bool {
        var removed = true
        for directory in allDirectories {
            let gone = poll(within: 1) { rmdir(directory) == 0 || errno == ENOENT }
            removed = removed && gone
        }
        return removed
    }

    private func poll(within seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var pause: UInt32 = 200
        while !condition() {
            guard Date() < deadline else { return false }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        return true
    }

    // MARK: read

    /// How many times the kernel's OOM killer killed a process of the sandbox.
    var oomKills: Int64? {
        guard let directory = directory(.memory) else { return nil }
        return isUnified(.memory)
            ? CgroupFiles.keyed(directory + "/memory.events", "oom_kill")
            : CgroupFiles.keyed(directory + "/memory.oom_control", "oom_kill")
    }

    public var stats: SandboxStats {
        var stats = SandboxStats()
        if let directory = directory(.memory) {
            let v2 = isUnified(.memory)
            stats.memoryBytes = CgroupFiles.number(directory + (v2 ? "/memory.current" : "/memory.usage_in_bytes"))
            stats.memoryPeakBytes = CgroupFiles.number(directory + (v2 ? "/memory.peak" : "/memory.max_usage_in_bytes"))
            // v1 says "no limit" with the largest page-aligned number.
            stats.memoryLimitBytes = CgroupFiles.number(directory + (v2 ? "/memory.max" : "/memory.limit_in_bytes"))
                .flatMap { $0 >= 1 << 62 ? nil : $0 }
        }
        if let directory = directory(.pids) {
            stats.pids = CgroupFiles.number(directory + "/pids.current")
            stats.pidsLimit = CgroupFiles.number(directory + "/pids.max")
        }
        if let unified, let usage = CgroupFiles.keyed(unified + "/cpu.stat", "usage_usec") {
            stats.cpuMicros = usage
        } else if let directory = directory(.cpuacct), let nanos = CgroupFiles.number(directory + "/cpuacct.usage") {
            stats.cpuMicros = nanos / 1000
        }
        return stats
    }
}

/// `GET /sandboxes/{ref}/stats`: null where the host has no controller for it.
public struct SandboxStats: Sendable, Equatable, Encodable {
    public var memoryBytes: Int64?
    public var memoryPeakBytes: Int64?
    public var cpuMicros: Int64?
    public var pids: Int64?
    public var pidsLimit: Int64?
    public var memoryLimitBytes: Int64?

    enum CodingKeys: String, CodingKey { case memoryBytes, memoryPeakBytes, cpuMicros, pids, pidsLimit, memoryLimitBytes }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(memoryBytes, forKey: .memoryBytes)
        try c.encode(memoryPeakBytes, forKey: .memoryPeakBytes)
        try c.encode(cpuMicros, forKey: .cpuMicros)
        try c.encode(pids, forKey: .pids)
        try c.encode(pidsLimit, forKey: .pidsLimit)
        try c.encode(memoryLimitBytes, forKey: .memoryLimitBytes)
    }
}
