// RTM_GETNSID: how one namespace numbers another (what IFLA_LINK_NETNSID refers to).
#include "rtnl_internal.h"

#include <sys/socket.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>

static int keep_nsid(const struct nlmsghdr *nlh, void *data)
{
    if (nlh->nlmsg_type != RTM_NEWNSID)
        return MNL_CB_OK;
    const struct nlattr *attribute;
    mnl_attr_for_each(attribute, nlh, sizeof(struct rtgenmsg))
    {
        if (mnl_attr_get_type(attribute) == NETNSA_NSID && mnl_attr_get_payload_len(attribute) >= 4)
            *(int32_t *)data = (int32_t)mnl_attr_get_u32(attribute);
    }
    return MNL_CB_OK;
}

int nsd_rtnl_netnsid(struct nsd_rtnl *handle, int netns_fd, int32_t *nsid, const char **step)
{
    char buffer[NSD_RTNL_REQUEST_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buffer);
    nlh->nlmsg_type = RTM_GETNSID;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    struct rtgenmsg *message = mnl_nlmsg_put_extra_header(nlh, sizeof *message);
    message->rtgen_family = AF_UNSPEC;
    mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)netns_fd);
    *nsid = NETNSA_NSID_NOT_ASSIGNED;
    int rc = nsd_rtnl_talk(handle, nlh, keep_nsid, nsid);
    if (rc != 0)
        *step = "RTM_GETNSID";
    return rc;
}
