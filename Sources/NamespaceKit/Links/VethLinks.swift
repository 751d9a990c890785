#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Veth pairs between a network namespace and the server's, made, listed and removed through
/// rtnetlink. The kernel is their only record: a pair goes with its namespace, and what is listed
/// is what the kernel has now.
public enum VethLinks {
    /// Makes the pair with its inside end directly in `namespace`, sets the addresses, brings both
    /// ends up. Any failure after the pair exists deletes it: nothing is left half made.
    public static func create(_ request: LinkRequest.Validated, in namespace: NetworkNamespace) throws(LinkError) -> Link {
        let own = try serversNamespace(unlike: namespace)
        let host = try RouteSocket(in: nil)
        let inside = try RouteSocket(in: namespace)
        let hostName: InterfaceName
        if let chosen = request.hostName { hostName = chosen } else { hostName = try freeHostName(host) }
        if try host.link(named: hostName) != nil { throw .nameTaken(name: hostName.description, side: .host) }
        if try inside.link(named: request.name) != nil { throw .nameTaken(name: request.name.description, side: .inside) }
        do {
            try host.createVeth(hostName: hostName, peerName: request.name, peerNamespace: namespace)
        } catch .failed(_, _, .fileExists) {
            // Taken between the look above and the creation.
            let side: LinkError.Side = (try? host.link(named: hostName)) != nil ? .host : .inside
            throw .nameTaken(name: side == .host ? hostName.description : request.name.description, side: side)
        }
        do {
            return try configure(request, hostName: hostName, host: host, inside: inside, own: own)
        } catch {
            if let outer = try? host.link(named: hostName), KernelLink.kind(of: outer) == "veth" {
                try? host.delete(outer.ifindex)
            }
            throw error
        }
    }

    /// The pairs between `namespace` and the server's namespace.
    public static func list(in namespace: NetworkNamespace) throws(LinkError) -> [Link] {
        let own = try serversNamespace(unlike: namespace)
        let inside = try RouteSocket(in: namespace)
        let candidates = try inside.links().filter { KernelLink.kind(of: $0) == "veth" && $0.peer_netnsid >= 0 }
        // Only a namespace that has a link to the server's has an id for it.
        guard !candidates.isEmpty, let hostID = try inside.netnsid(of: own) else { return [] }
        let host = try RouteSocket(in: nil)
        let insideAddresses = try inside.addresses()
        let hostAddresses = try host.addresses()
        var links: [Link] = []
        for inner in candidates where inner.peer_netnsid == hostID {
            // Gone since the dump: its namespace is going away.
            guard let outer = try host.link(index: inner.peer_ifindex) else { continue }
            links.append(
                Link(
                    inside: inner, host: outer, addresses: insideAddresses[inner.ifindex] ?? [],
                    hostAddresses: hostAddresses[outer.ifindex] ?? []))
        }
        return links
    }

    /// Deletes the pair whose inside end is `name`; the kernel removes both ends.
    public static func delete(named name: String, in namespace: NetworkNamespace) throws(LinkError) {
        guard let link = try list(in: namespace).first(where: { $0.name == name }) else { throw .noSuchLink(name) }
        do {
            try RouteSocket(in: namespace).delete(link.ifindex)
        } catch .failed(_, _, let errno) where errno.rawValue == ENODEV {
            throw .noSuchLink(name)
        }
    }

    // MARK: steps

    private static func configure(
        _ request: LinkRequest.Validated, hostName: InterfaceName, host: RouteSocket, inside: RouteSocket,
        own: NetworkNamespace
    ) throws(LinkError) -> Link {
        guard let outer = try host.link(named: hostName), let inner = try inside.link(named: request.name) else {
            throw .failed(step: "RTM_GETLINK", side: nil, errno: Errno(rawValue: ENODEV))
        }
        try on(.inside) { () throws(LinkError) in
            if let address = request.address { try inside.add(address, to: inner.ifindex) }
            try inside.setUp(inner.ifindex)
        }
        try on(.host) { () throws(LinkError) in
            if let address = request.hostAddress { try host.add(address, to: outer.ifindex) }
            try host.setUp(outer.ifindex)
        }
        // Read back: the flags are the kernel's now, the addresses as it stored them.
        guard let innerNow = try inside.link(index: inner.ifindex), let outerNow = try host.link(index: outer.ifindex) else {
            throw .failed(step: "RTM_GETLINK", side: nil, errno: Errno(rawValue: ENODEV))
        }
        return Link(
            inside: innerNow, host: outerNow, addresses: try inside.addresses(of: inner.ifindex)[inner.ifindex] ?? [],
            hostAddresses: try host.addresses(of: outer.ifindex)[outer.ifindex] ?? [])
    }

    /// Names the side of a step that failed.
    private static func on(_ side: LinkError.Side, _ body: () throws(LinkError) -> Void) throws(LinkError) {
        do { try body() } catch .failed(let step, _, let errno) { throw .failed(step: step, side: side, errno: errno) }
    }

    private static func serversNamespace(unlike namespace: NetworkNamespace) throws(LinkError) -> NetworkNamespace {
        let own: NetworkNamespace
        do { own = try NetworkNamespace.servers() } catch {
            throw .failed(step: "open /proc/thread-self/ns/net", side: .host, errno: error.errno)
        }
        guard !namespace.isSame(as: own) else { throw .serversOwnNamespace }
        return own
    }

    /// `nsd` and 8 hex digits, as Docker's `veth` and 7: recognisable, and free when looked at.
    private static func freeHostName(_ host: RouteSocket) throws(LinkError) -> InterfaceName {
        for _ in 0..<8 {
            let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
            let name = try InterfaceName("nsd" + String(repeating: "0", count: 8 - suffix.count) + suffix, member: "hostName")
            if try host.link(named: name) == nil { return name }
        }
        throw .failed(step: "choosing a host name", side: .host, errno: .fileExists)
    }
}
