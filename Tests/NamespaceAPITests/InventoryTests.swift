import Foundation
import Testing

/// The inventory against util-linux `lsns` and /proc on the same machine.
@Suite(.serialized) struct InventoryTests {
    struct LsnsEntry: Equatable, Hashable {
        var ns: UInt64, type: String, nprocs: Int, pid: Int?, ons: UInt64, pns: UInt64
    }

    static func lsns() throws -> [UInt64: LsnsEntry] {
        let output = try Host.run(["lsns", "--json", "-o", "NS,TYPE,NPROCS,PID,ONS,PNS"]).output
        let root = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
        var result: [UInt64: LsnsEntry] = [:]
        for item in root["namespaces"] as! [[String: Any]] {
            let entry = LsnsEntry(
                ns: (item["ns"] as! NSNumber).uint64Value, type: item["type"] as! String,
                nprocs: (item["nprocs"] as? NSNumber)?.intValue ?? 0,
                pid: (item["pid"] as? NSNumber)?.intValue,
                ons: (item["ons"] as? NSNumber)?.uint64Value ?? 0,
                pns: (item["pns"] as? NSNumber)?.uint64Value ?? 0)
            result[entry.ns] = entry
        }
        return result
    }

    static func entry(_ item: [String: Any]) -> LsnsEntry {
        LsnsEntry(
            ns: (item["inode"] as! NSNumber).uint64Value, type: item["type"] as! String,
            nprocs: (item["nprocs"] as! NSNumber).intValue, pid: (item["pid"] as? NSNumber)?.intValue,
            ons: (item["owner"] as? NSNumber)?.uint64Value ?? 0,
            pns: (item["parent"] as? NSNumber)?.uint64Value ?? 0)
    }

    @Test func matchesLsnsForHostAndUnshareNamespaces() async throws {
        try #require(Host.isRoot, "needs root to create namespaces with unshare")
        let server = try TestServer()
        // Namespaces of every type, including a user namespace with a pid namespace below it.
        let sandboxes = try [
            Background([
                "unshare", "--fork", "--pid", "--mount-proc", "--uts", "--ipc", "--net", "--cgroup", "--time", "sleep", "60",
            ]),
            Background(["unshare", "--user", "--map-root-user", "--fork", "--pid", "--mount-proc", "sleep", "60"]),
        ]
        #expect(eventually { sandboxes.allSatisfy { $0.descendants.count >= 1 } })
        let sleepers = sandboxes.flatMap(\.descendants)

        let before = try Self.lsns()
        let api = try await server.get("/namespaces")
        let after = try Self.lsns()
        #expect(api.status == 200)
        let ours = Dictionary(uniqueKeysWithValues: api.items.map { (Self.entry($0).ns, Self.entry($0)) })

        // What lsns saw the same way twice is settled; the API must agree with every such entry.
        let stable = before.filter { after[$0.key] == $0.value }
        #expect(stable.count >= 8)
        let created = Set(
            sleepers.flatMap { pid in
                ["mnt", "uts", "ipc", "pid", "net", "user", "cgroup", "time"].compactMap {
                    Host.readlinkInode("/proc/\(pid)/ns/\($0)")
                }
            }
        ).subtracting(
            Set(
                ["mnt", "uts", "ipc", "pid", "net", "user", "cgroup", "time"].compactMap {
                    Host.readlinkInode("/proc/self/ns/\($0)")
                }))
        #expect(created.count >= 9)
        for (inode, expected) in stable {
            let found = try #require(ours[inode], "lsns lists inode \(inode), the API does not")
            if created.contains(inode) {
                // The test's own namespaces: nothing else touches them, so every field must agree.
                #expect(found == expected)
            } else {
                // Shared namespaces: lsns counts itself, and other tests start processes concurrently.
                var loose = found
                loose.nprocs = expected.nprocs
                #expect(loose == expected)
                #expect(abs(found.nprocs - expected.nprocs) <= 8, "inode \(inode): lsns \(expected.nprocs), API \(found.nprocs)")
            }
        }
        // The sleepers' own namespaces are there, including the new pid namespaces.
        for pid in sleepers {
            let inode = try #require(Host.readlinkInode("/proc/\(pid)/ns/pid"))
            #expect(ours[inode]?.type == "pid")
        }
        let sorted = api.items.map { ($0["inode"] as! NSNumber).uint64Value }
        #expect(sorted == sorted.sorted())
        sandboxes.forEach { $0.stop() }
    }

    @Test func processFieldsDescribeTheLowestPid() async throws {
        try #require(Host.isRoot, "needs root to create namespaces with unshare")
        let server = try TestServer()
        let sandbox = try Background(["unshare", "--fork", "--uts", "sleep", "60"])
        #expect(eventually { !sandbox.descendants.isEmpty })
        let unsharePid = sandbox.pid
        let uts = try #require(Host.readlinkInode("/proc/\(unsharePid)/ns/uts"))
        let result = try await server.get("/namespaces/uts/\(uts)")
        #expect(result.status == 200)
        let body = result.json
        #expect((body["pid"] as? NSNumber)?.int32Value == unsharePid)
        #expect((body["nprocs"] as? NSNumber)?.intValue == 2)
        #expect((body["command"] as? String)?.hasPrefix("unshare --fork --uts sleep 60") == true)
        #expect((body["user"] as? String) == "root")
        #expect((body["uid"] as? NSNumber)?.intValue == 0)
        #expect((body["ppid"] as? NSNumber)?.int32Value == getpid())
        #expect(body["path"] as? String == "/proc/\(unsharePid)/ns/uts")
        let processes = body["processes"] as? [[String: Any]] ?? []
        #expect(Set(processes.compactMap { ($0["pid"] as? NSNumber)?.int32Value }) == Set([unsharePid] + sandbox.descendants))
        sandbox.stop()
    }

    @Test func bindMountedNetworkNamespaceIsListedWithoutProcesses() async throws {
        try #require(Host.isRoot, "needs root for ip netns add")
        let server = try TestServer()
        let name = "nsd-test-\(getpid())"
        try #require(try Host.run(["ip", "netns", "add", name]).status == 0)
        defer { _ = try? Host.run(["ip", "netns", "delete", name]) }
        let inode = try #require(statInode("/run/netns/\(name)"))
        let result = try await server.get("/namespaces?type=net")
        let item = try #require(result.items.first { ($0["inode"] as! NSNumber).uint64Value == inode })
        #expect((item["nprocs"] as! NSNumber).intValue == 0)
        #expect(item["path"] as? String == "/run/netns/\(name)")
        #expect(item["pid"] is NSNull)
        #expect(item["command"] is NSNull)
        let detail = try await server.get("/namespaces/net/\(inode)")
        #expect(detail.status == 200)
        #expect((detail.json["processes"] as? [Any])?.isEmpty == true)
    }

    @Test func processNamespacesMatchProc() async throws {
        let server = try TestServer()
        let result = try await server.get("/processes/\(getpid())/namespaces")
        #expect(result.status == 200)
        let namespaces = result.json["namespaces"] as? [String: Any] ?? [:]
        #expect(namespaces.count == 8)
        for type in ["mnt", "uts", "ipc", "pid", "net", "user", "cgroup", "time"] {
            #expect((namespaces[type] as? NSNumber)?.uint64Value == Host.readlinkInode("/proc/self/ns/\(type)"))
        }
        #expect(try await server.get("/processes/999999999/namespaces").status == 404)
        #expect(try await server.get("/processes/abc/namespaces").status == 400)
    }
}

func statInode(_ path: String) -> UInt64? {
    var st = stat()
    return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
}
