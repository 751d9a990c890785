#ifndef NSD_RTNL_H
#define NSD_RTNL_H
/* rtnetlink requests through libmnl: veth pairs, addresses, link state, and what a namespace has.
 * Every function returns 0 or -errno; on failure `*step` names the request or call that failed
 * (a static string, stable enough for a client to switch on). */
#include <stddef.h>
#include <stdint.h>

#if !defined(__clang__)
#define _Nonnull
#define _Nullable
#endif

/// A NETLINK_ROUTE socket bound to one network namespace (the one it was made in).
struct nsd_rtnl;

/// One link as the kernel reports it.
struct nsd_link {
    char name[16];
    /// IFLA_INFO_KIND ("veth", ...); empty for links without one (lo, most hardware).
    char kind[16];
    int32_t ifindex;
    /// IFLA_LINK: a veth's peer's ifindex (in the peer's namespace); 0 when absent.
    int32_t peer_ifindex;
    /// IFLA_LINK_NETNSID: the peer's namespace as this namespace numbers it; -1 when the peer
    /// is in the same namespace or the link has none.
    int32_t peer_netnsid;
    uint32_t mtu;
    /// IFF_UP: administratively up.
    uint8_t up;
    /// IFF_LOWER_UP: the carrier, which a veth has while both ends are up.
    uint8_t lower_up;
    uint8_t mac_length;
    uint8_t mac[32];
};

/// One address of a link.
struct nsd_address {
    int32_t ifindex;
    /// AF_INET or AF_INET6.
    uint8_t family;
    uint8_t prefix;
    uint8_t bytes[16];
};

/// A socket in the network namespace open on `netns_fd`, or in the caller's own when it is -1.
/// The socket is made by a short-lived thread that enters the namespace: the caller's threads
/// stay where they are.
int nsd_rtnl_open(int netns_fd, struct nsd_rtnl *_Nullable *_Nonnull out,
                  const char *_Nullable *_Nonnull step);

void nsd_rtnl_close(struct nsd_rtnl *_Nullable handle);

/// A veth pair: `host_name` in the socket's namespace, its peer `peer_name` made directly in the
/// namespace open on `peer_netns_fd` (IFLA_NET_NS_FD), both down. EEXIST when either name is taken.
int nsd_rtnl_veth_create(struct nsd_rtnl *_Nonnull handle, const char *_Nonnull host_name,
                         const char *_Nonnull peer_name, int peer_netns_fd,
                         const char *_Nullable *_Nonnull step);

/// One link by name (ifindex 0) or by ifindex. ENODEV when there is none.
int nsd_rtnl_link_get(struct nsd_rtnl *_Nonnull handle, const char *_Nullable name, int32_t ifindex,
                      struct nsd_link *_Nonnull out, const char *_Nullable *_Nonnull step);

/// Every link of the socket's namespace: up to `capacity` in `out`, the total in `*count`.
int nsd_rtnl_link_list(struct nsd_rtnl *_Nonnull handle, struct nsd_link *_Nullable out, size_t capacity,
                       size_t *_Nonnull count, const char *_Nullable *_Nonnull step);

/// Sets the link administratively up.
int nsd_rtnl_link_up(struct nsd_rtnl *_Nonnull handle, int32_t ifindex,
                     const char *_Nullable *_Nonnull step);

/// Deletes the link; for a veth, the kernel deletes its peer with it.
int nsd_rtnl_link_delete(struct nsd_rtnl *_Nonnull handle, int32_t ifindex,
                         const char *_Nullable *_Nonnull step);

/// Adds `address` (4 or 16 bytes, by `family`) with its prefix length to the link.
int nsd_rtnl_address_add(struct nsd_rtnl *_Nonnull handle, int32_t ifindex, uint8_t family,
                         const uint8_t *_Nonnull address, uint8_t prefix,
                         const char *_Nullable *_Nonnull step);

/// Every IPv4 and IPv6 address of the socket's namespace (of one link when `ifindex` > 0): up to
/// `capacity` in `out`, the total in `*count`.
int nsd_rtnl_address_list(struct nsd_rtnl *_Nonnull handle, int32_t ifindex,
                          struct nsd_address *_Nullable out, size_t capacity, size_t *_Nonnull count,
                          const char *_Nullable *_Nonnull step);

/// The id the socket's namespace gives the namespace open on `netns_fd` (RTM_GETNSID); -1 when
/// it has given it none.
int nsd_rtnl_netnsid(struct nsd_rtnl *_Nonnull handle, int netns_fd, int32_t *_Nonnull nsid,
                     const char *_Nullable *_Nonnull step);

#endif
