#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import SystemPackage

/// A NETLINK_ROUTE socket in one network namespace, closed when dropped. Each call is one
/// rtnetlink request; a refusal is the kernel's errno with the request that got it.
final class RouteSocket {
    private let handle: OpaquePointer

    /// A socket in the namespace open on `namespace`, or in the server's own when nil.
    init(in namespace: NetworkNamespace?) throws(LinkError) {
        var step: UnsafePointer<CChar>?
        var handle: OpaquePointer?
        let rc = nsd_rtnl_open(namespace?.fd ?? -1, &handle, &step)
        guard rc == 0, let handle else { throw Self.failure(rc, step) }
        self.handle = handle
    }

    deinit { nsd_rtnl_close(handle) }

    func createVeth(hostName: InterfaceName, peerName: InterfaceName, peerNamespace: NetworkNamespace) throws(LinkError) {
        try call { step in nsd_rtnl_veth_create(handle, hostName.description, peerName.description, peerNamespace.fd, &step) }
    }

    /// The link of that name; nil when there is none.
    func link(named name: InterfaceName) throws(LinkError) -> nsd_link? {
        try link { out, step in nsd_rtnl_link_get(handle, name.description, 0, &out, &step) }
    }

    func link(index: Int32) throws(LinkError) -> nsd_link? {
        try link { out, step in nsd_rtnl_link_get(handle, nil, index, &out, &step) }
    }

    func links() throws(LinkError) -> [nsd_link] {
        try collect(nsd_link()) { buffer, capacity, count, step in nsd_rtnl_link_list(handle, buffer, capacity, &count, &step) }
    }

    func setUp(_ ifindex: Int32) throws(LinkError) {
        try call { step in nsd_rtnl_link_up(handle, ifindex, &step) }
    }

    func delete(_ ifindex: Int32) throws(LinkError) {
        try call { step in nsd_rtnl_link_delete(handle, ifindex, &step) }
    }

    func add(_ address: InterfaceAddress, to ifindex: Int32) throws(LinkError) {
        try call { step in
            nsd_rtnl_address_add(handle, ifindex, UInt8(address.family.addressFamily), address.bytes, address.prefix, &step)
        }
    }

    /// The addresses of the namespace (of one link when `ifindex` is given), by ifindex.
    func addresses(of ifindex: Int32? = nil) throws(LinkError) -> [Int32: [InterfaceAddress]] {
        let found = try collect(nsd_address()) { buffer, capacity, count, step in
            nsd_rtnl_address_list(handle, ifindex ?? 0, buffer, capacity, &count, &step)
        }
        var byLink: [Int32: [InterfaceAddress]] = [:]
        for item in found {
            let family: InterfaceAddress.Family = Int32(item.family) == AF_INET ? .ipv4 : .ipv6
            let bytes = withUnsafeBytes(of: item.bytes) { Array($0.prefix(family.length)) }
            byLink[item.ifindex, default: []].append(InterfaceAddress(family: family, bytes: bytes, prefix: item.prefix))
        }
        return byLink
    }

    /// The id this socket's namespace gives `namespace`; nil when it has given it none.
    func netnsid(of namespace: NetworkNamespace) throws(LinkError) -> Int32? {
        var nsid: Int32 = -1
        try call { step in nsd_rtnl_netnsid(handle, namespace.fd, &nsid, &step) }
        return nsid >= 0 ? nsid : nil
    }

    // MARK: calling C

    private func call(_ body: (inout UnsafePointer<CChar>?) -> Int32) throws(LinkError) {
        var step: UnsafePointer<CChar>?
        let rc = body(&step)
        guard rc == 0 else { throw Self.failure(rc, step) }
    }

    private func link(_ body: (inout nsd_link, inout UnsafePointer<CChar>?) -> Int32) throws(LinkError) -> nsd_link? {
        var out = nsd_link()
        var step: UnsafePointer<CChar>?
        let rc = body(&out, &step)
        if rc == -ENODEV { return nil }
        guard rc == 0 else { throw Self.failure(rc, step) }
        return out
    }

    /// A dump into a buffer, again with a larger one when the namespace had more than it held.
    private func collect<Item>(
        _ empty: Item, _ body: (UnsafeMutablePointer<Item>, Int, inout Int, inout UnsafePointer<CChar>?) -> Int32
    ) throws(LinkError) -> [Item] {
        var capacity = 64
        while true {
            var items = [Item](repeating: empty, count: capacity)
            var count = 0
            var step: UnsafePointer<CChar>?
            let rc = items.withUnsafeMutableBufferPointer { body($0.baseAddress!, capacity, &count, &step) }
            guard rc == 0 else { throw Self.failure(rc, step) }
            if count <= capacity { return Array(items.prefix(count)) }
            capacity = count + 16
        }
    }

    private static func failure(_ rc: Int32, _ step: UnsafePointer<CChar>?) -> LinkError {
        .failed(step: step.map { String(cString: $0) } ?? "rtnetlink", side: nil, errno: Errno(rawValue: -rc))
    }
}
