#ifndef NSD_RTNL_INTERNAL_H
#define NSD_RTNL_INTERNAL_H
#include "nsd_rtnl.h"

#include <libmnl/libmnl.h>

struct nsd_rtnl {
    struct mnl_socket *nl;
    unsigned int portid;
    unsigned int seq;
};

/// A request buffer: large enough for any message these files build.
#define NSD_RTNL_REQUEST_SIZE 1024

/// Sends `nlh` and reads answers until the kernel's ack or the end of a dump, handing each data
/// message to `cb`. Returns 0 or -errno (the kernel's answer to the request, or the socket's).
int nsd_rtnl_talk(struct nsd_rtnl *handle, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/// Copies the link in `nlh` (an RTM_NEWLINK answer) into `out`.
void nsd_rtnl_parse_link(const struct nlmsghdr *nlh, struct nsd_link *out);

#endif
