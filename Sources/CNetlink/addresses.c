// RTM_NEWADDR and RTM_GETADDR: the addresses of links.
#include "rtnl_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

static size_t address_length(uint8_t family)
{
    return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int nsd_rtnl_address_add(struct nsd_rtnl *handle, int32_t ifindex, uint8_t family,
                         const uint8_t *address, uint8_t prefix, const char **step)
{
    *step = "RTM_NEWADDR";
    size_t length = address_length(family);
    if (length == 0)
        return -EAFNOSUPPORT;
    char buffer[NSD_RTNL_REQUEST_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buffer);
    nlh->nlmsg_type = RTM_NEWADDR;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
    ifa->ifa_family = family;
    ifa->ifa_prefixlen = prefix;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (uint32_t)ifindex;
    // As `ip address add` sends it: on a link that is not point-to-point both are the address.
    mnl_attr_put(nlh, IFA_LOCAL, length, address);
    mnl_attr_put(nlh, IFA_ADDRESS, length, address);
    return nsd_rtnl_talk(handle, nlh, NULL, NULL);
}

struct address_collection {
    int32_t ifindex;
    struct nsd_address *items;
    size_t capacity;
    size_t count;
};

struct address_attributes {
    const struct nlattr *local, *address;
};

static int collect_address_attribute(const struct nlattr *attribute, void *data)
{
    struct address_attributes *found = data;
    switch (mnl_attr_get_type(attribute)) {
    case IFA_LOCAL: found->local = attribute; break;
    case IFA_ADDRESS: found->address = attribute; break;
    default: break;
    }
    return MNL_CB_OK;
}

static int collect_address(const struct nlmsghdr *nlh, void *data)
{
    struct address_collection *addresses = data;
    if (nlh->nlmsg_type != RTM_NEWADDR)
        return MNL_CB_OK;
    const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    size_t length = address_length(ifa->ifa_family);
    if (length == 0 || (addresses->ifindex > 0 && (int32_t)ifa->ifa_index != addresses->ifindex))
        return MNL_CB_OK;
    struct address_attributes found = { 0 };
    mnl_attr_parse(nlh, sizeof *ifa, collect_address_attribute, &found);
    // IFA_LOCAL is the link's own address; IFA_ADDRESS is the peer's on point-to-point links.
    const struct nlattr *own = found.local != NULL ? found.local : found.address;
    if (own == NULL || mnl_attr_get_payload_len(own) < length)
        return MNL_CB_OK;
    if (addresses->count < addresses->capacity) {
        struct nsd_address *item = &addresses->items[addresses->count];
        memset(item, 0, sizeof *item);
        item->ifindex = (int32_t)ifa->ifa_index;
        item->family = ifa->ifa_family;
        item->prefix = ifa->ifa_prefixlen;
        memcpy(item->bytes, mnl_attr_get_payload(own), length);
    }
    addresses->count++;
    return MNL_CB_OK;
}

int nsd_rtnl_address_list(struct nsd_rtnl *handle, int32_t ifindex, struct nsd_address *out,
                          size_t capacity, size_t *count, const char **step)
{
    char buffer[NSD_RTNL_REQUEST_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buffer);
    nlh->nlmsg_type = RTM_GETADDR;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
    ifa->ifa_family = AF_UNSPEC;
    struct address_collection addresses = { .ifindex = ifindex,
                                            .items = out,
                                            .capacity = out == NULL ? 0 : capacity };
    int rc = nsd_rtnl_talk(handle, nlh, collect_address, &addresses);
    *count = addresses.count;
    if (rc != 0)
        *step = "RTM_GETADDR dump";
    return rc;
}
