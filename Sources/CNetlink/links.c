// RTM_NEWLINK, RTM_GETLINK and RTM_DELLINK: veth pairs, their state, and what a namespace has.
#include "rtnl_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

static struct nlmsghdr *link_request(char *buffer, uint16_t type, uint16_t flags, int32_t ifindex)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buffer);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = ifindex;
    return nlh;
}

int nsd_rtnl_veth_create(struct nsd_rtnl *handle, const char *host_name, const char *peer_name,
                         int peer_netns_fd, const char **step)
{
    char buffer[NSD_RTNL_REQUEST_SIZE];
    struct nlmsghdr *nlh = link_request(buffer, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, host_name);
    struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    // The peer is described by an ifinfomsg of its own, then its attributes.
    struct ifinfomsg *peer_ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *peer_ifm);
    peer_ifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
    mnl_attr_nest_end(nlh, peer);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    int rc = nsd_rtnl_talk(handle, nlh, NULL, NULL);
    if (rc != 0)
        *step = "RTM_NEWLINK veth";
    return rc;
}

struct link_attributes {
    const struct nlattr *name, *link, *netnsid, *mtu, *address, *info;
};

static int collect_link_attribute(const struct nlattr *attribute, void *data)
{
    struct link_attributes *found = data;
    switch (mnl_attr_get_type(attribute)) {
    case IFLA_IFNAME: found->name = attribute; break;
    case IFLA_LINK: found->link = attribute; break;
    case IFLA_LINK_NETNSID: found->netnsid = attribute; break;
    case IFLA_MTU: found->mtu = attribute; break;
    case IFLA_ADDRESS: found->address = attribute; break;
    case IFLA_LINKINFO: found->info = attribute; break;
    default: break;
    }
    return MNL_CB_OK;
}

static int find_kind(const struct nlattr *attribute, void *data)
{
    if (mnl_attr_get_type(attribute) == IFLA_INFO_KIND)
        *(const struct nlattr **)data = attribute;
    return MNL_CB_OK;
}

/// Copies a string attribute, truncated to fit and always terminated.
static void copy_string(char *target, size_t size, const struct nlattr *attribute)
{
    size_t length = mnl_attr_get_payload_len(attribute);
    const char *text = mnl_attr_get_payload(attribute);
    size_t used = strnlen(text, length);
    if (used >= size)
        used = size - 1;
    memcpy(target, text, used);
    target[used] = 0;
}

void nsd_rtnl_parse_link(const struct nlmsghdr *nlh, struct nsd_link *out)
{
    memset(out, 0, sizeof *out);
    const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
    out->ifindex = ifm->ifi_index;
    out->up = (ifm->ifi_flags & IFF_UP) != 0;
    out->lower_up = (ifm->ifi_flags & IFF_LOWER_UP) != 0;
    out->peer_netnsid = -1;
    struct link_attributes found = { 0 };
    mnl_attr_parse(nlh, sizeof *ifm, collect_link_attribute, &found);
    if (found.name != NULL)
        copy_string(out->name, sizeof out->name, found.name);
    if (found.link != NULL && mnl_attr_get_payload_len(found.link) >= 4)
        out->peer_ifindex = (int32_t)mnl_attr_get_u32(found.link);
    if (found.netnsid != NULL && mnl_attr_get_payload_len(found.netnsid) >= 4)
        out->peer_netnsid = (int32_t)mnl_attr_get_u32(found.netnsid);
    if (found.mtu != NULL && mnl_attr_get_payload_len(found.mtu) >= 4)
        out->mtu = mnl_attr_get_u32(found.mtu);
    if (found.address != NULL) {
        size_t length = mnl_attr_get_payload_len(found.address);
        if (length > sizeof out->mac)
            length = sizeof out->mac;
        memcpy(out->mac, mnl_attr_get_payload(found.address), length);
        out->mac_length = (uint8_t)length;
    }
    if (found.info != NULL) {
        const struct nlattr *kind = NULL;
        mnl_attr_parse_nested(found.info, find_kind, &kind);
        if (kind != NULL)
            copy_string(out->kind, sizeof out->kind, kind);
    }
}

static int keep_one_link(const struct nlmsghdr *nlh, void *data)
{
    if (nlh->nlmsg_type == RTM_NEWLINK)
        nsd_rtnl_parse_link(nlh, data);
    return MNL_CB_OK;
}

int nsd_rtnl_link_get(struct nsd_rtnl *handle, const char *name, int32_t ifindex, struct nsd_link *out,
                      const char **step)
{
    char buffer[NSD_RTNL_REQUEST_SIZE];
    struct nlmsghdr *nlh = link_request(buffer, RTM_GETLINK, NLM_F_ACK, ifindex);
    if (ifindex == 0 && name != NULL)
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    memset(out, 0, sizeof *out);
    int rc = nsd_rtnl_talk(handle, nlh, keep_one_link, out);
    if (rc == 0 && out->ifindex == 0)
        rc = -ENODEV;
    if (rc != 0)
        *step = "RTM_GETLINK";
    return rc;
}

struct link_collection {
    struct nsd_link *items;
    size_t capacity;
    size_t count;
};

static int collect_link(const struct nlmsghdr *nlh, void *data)
{
    struct link_collection *links = data;
    if (nlh->nlmsg_type != RTM_NEWLINK)
        return MNL_CB_OK;
    if (links->count < links->capacity)
        nsd_rtnl_parse_link(nlh, &links->items[links->count]);
    links->count++;
    return MNL_CB_OK;
}

int nsd_rtnl_link_list(struct nsd_rtnl *handle, struct nsd_link *out, size_t capacity, size_t *count,
                       const char **step)
{
    char buffer[NSD_RTNL_REQUEST_SIZE];
    struct nlmsghdr *nlh = link_request(buffer, RTM_GETLINK, NLM_F_DUMP, 0);
    struct link_collection links = { .items = out, .capacity = out == NULL ? 0 : capacity };
    int rc = nsd_rtnl_talk(handle, nlh, collect_link, &links);
    *count = links.count;
    if (rc != 0)
        *step = "RTM_GETLINK dump";
    return rc;
}

int nsd_rtnl_link_up(struct nsd_rtnl *handle, int32_t ifindex, const char **step)
{
    char buffer[NSD_RTNL_REQUEST_SIZE];
    struct nlmsghdr *nlh = link_request(buffer, RTM_NEWLINK, NLM_F_ACK, ifindex);
    struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
    ifm->ifi_flags = IFF_UP;
    ifm->ifi_change = IFF_UP;
    int rc = nsd_rtnl_talk(handle, nlh, NULL, NULL);
    if (rc != 0)
        *step = "RTM_NEWLINK up";
    return rc;
}

int nsd_rtnl_link_delete(struct nsd_rtnl *handle, int32_t ifindex, const char **step)
{
    char buffer[NSD_RTNL_REQUEST_SIZE];
    struct nlmsghdr *nlh = link_request(buffer, RTM_DELLINK, NLM_F_ACK, ifindex);
    int rc = nsd_rtnl_talk(handle, nlh, NULL, NULL);
    if (rc != 0)
        *step = "RTM_DELLINK";
    return rc;
}
