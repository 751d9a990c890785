import CNetlink

/// A veth pair between a namespace and the server's, as the kernel reports it now: `name` and
/// the members without a `host` prefix are the end inside.
public struct Link: Sendable, Equatable, Encodable {
    /// RFC 2863's names for what the flags say: `down` (administratively), `lowerlayerdown` (up,
    /// but the other end is down: no carrier) or `up`.
    public enum State: String, Sendable, Encodable {
        case up, down, lowerlayerdown

        init(_ link: nsd_link) {
            self = link.up == 0 ? .down : link.lower_up != 0 ? .up : .lowerlayerdown
        }
    }

    public var name: String
    public var hostName: String
    public var addresses: [String]
    public var hostAddresses: [String]
    public var state: State
    public var hostState: State
    public var ifindex: Int32
    public var hostIfindex: Int32
    public var mac: String
    public var hostMac: String
    public var mtu: UInt32

    init(inside: nsd_link, host: nsd_link, addresses: [InterfaceAddress], hostAddresses: [InterfaceAddress]) {
        name = KernelLink.name(of: inside)
        hostName = KernelLink.name(of: host)
        self.addresses = addresses.map(\.description)
        self.hostAddresses = hostAddresses.map(\.description)
        state = State(inside)
        hostState = State(host)
        ifindex = inside.ifindex
        hostIfindex = host.ifindex
        mac = KernelLink.mac(of: inside)
        hostMac = KernelLink.mac(of: host)
        mtu = inside.mtu
    }
}
