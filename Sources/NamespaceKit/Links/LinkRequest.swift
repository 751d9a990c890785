/// A link as a client asks for it (`POST .../links`): decoding rejects unknown members, nulls and
/// wrong types; `validated()` applies the rules, before anything touches the kernel.
public struct LinkRequest: Sendable, Decodable {
    public var name: String
    public var hostName: String?
    public var address: String?
    public var hostAddress: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case name, hostName, address, hostAddress }

    public init(name: String, hostName: String? = nil, address: String? = nil, hostAddress: String? = nil) {
        self.name = name
        self.hostName = hostName
        self.address = address
        self.hostAddress = hostAddress
    }

    public init(from decoder: Decoder) throws {
        try checkMembers(decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        hostName = try c.decodeIfPresent(String.self, forKey: .hostName)
        address = try c.decodeIfPresent(String.self, forKey: .address)
        hostAddress = try c.decodeIfPresent(String.self, forKey: .hostAddress)
    }

    /// The request with every member checked.
    public struct Validated: Sendable, Equatable {
        /// The end inside the namespace.
        public var name: InterfaceName
        /// The end in the server's namespace; nil: the server picks a free `nsd` + 8 hex digits.
        public var hostName: InterfaceName?
        public var address: InterfaceAddress?
        public var hostAddress: InterfaceAddress?
    }

    /// The members one by one: the two ends are in different namespaces, so they may even share
    /// an address (as some setups give every host end the same link-local one).
    public func validated() throws(LinkError) -> Validated {
        Validated(
            name: try InterfaceName(name, member: "name"),
            hostName: try hostName.map { text throws(LinkError) in try InterfaceName(text, member: "hostName") },
            address: try address.map { text throws(LinkError) in try InterfaceAddress(text, member: "address") },
            hostAddress: try hostAddress.map { text throws(LinkError) in try InterfaceAddress(text, member: "hostAddress") })
    }
}
