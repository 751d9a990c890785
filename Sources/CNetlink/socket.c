// The socket and the one request/answer loop every request goes through.
#define _GNU_SOURCE
#include "rtnl_internal.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>

/// How long an answer may take: rtnl_lock held elsewhere delays it, nothing should make it hang.
static const struct timeval answer_timeout = { .tv_sec = 10, .tv_usec = 0 };

struct open_request {
    int netns_fd;
    struct mnl_socket *nl;
    int error;
    const char *step;
};

/// A socket belongs to the namespace of the thread that makes it: this thread enters the target
/// namespace, makes the socket and ends, so no thread of the server ever changes namespace.
static void *open_in_namespace(void *argument)
{
    struct open_request *request = argument;
    if (request->netns_fd >= 0 && setns(request->netns_fd, CLONE_NEWNET) != 0) {
        request->error = -errno;
        request->step = "setns";
        return NULL;
    }
    request->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (request->nl == NULL) {
        request->error = -errno;
        request->step = "socket";
    }
    return NULL;
}

int nsd_rtnl_open(int netns_fd, struct nsd_rtnl **out, const char **step)
{
    *out = NULL;
    struct open_request request = { .netns_fd = netns_fd };
    if (netns_fd >= 0) {
        pthread_t thread;
        int rc = pthread_create(&thread, NULL, open_in_namespace, &request);
        if (rc != 0) {
            *step = "pthread_create";
            return -rc;
        }
        pthread_join(thread, NULL);
    } else {
        open_in_namespace(&request);
    }
    if (request.nl == NULL) {
        *step = request.step;
        return request.error;
    }
    int fd = mnl_socket_get_fd(request.nl);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &answer_timeout, sizeof answer_timeout) != 0 ||
        mnl_socket_bind(request.nl, 0, MNL_SOCKET_AUTOPID) != 0) {
        int error = -errno;
        mnl_socket_close(request.nl);
        *step = "bind";
        return error;
    }
    struct nsd_rtnl *handle = calloc(1, sizeof *handle);
    if (handle == NULL) {
        mnl_socket_close(request.nl);
        *step = "calloc";
        return -ENOMEM;
    }
    handle->nl = request.nl;
    handle->portid = mnl_socket_get_portid(request.nl);
    *out = handle;
    return 0;
}

void nsd_rtnl_close(struct nsd_rtnl *handle)
{
    if (handle == NULL)
        return;
    mnl_socket_close(handle->nl);
    free(handle);
}

/// Dump answers come in datagrams of up to 32 KiB; a smaller buffer would truncate them.
#define ANSWER_SIZE 32768

int nsd_rtnl_talk(struct nsd_rtnl *handle, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
    nlh->nlmsg_seq = ++handle->seq;
    if (mnl_socket_sendto(handle->nl, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    char *answer = malloc(ANSWER_SIZE);
    if (answer == NULL)
        return -ENOMEM;
    int result = 0;
    for (;;) {
        ssize_t length = mnl_socket_recvfrom(handle->nl, answer, ANSWER_SIZE);
        if (length < 0 && errno == EINTR)
            continue;
        if (length < 0) {
            result = -errno;
            break;
        }
        int rc = mnl_cb_run(answer, (size_t)length, nlh->nlmsg_seq, handle->portid, cb, data);
        if (rc == MNL_CB_ERROR) {
            result = errno > 0 ? -errno : -EPROTO;
            break;
        }
        if (rc == MNL_CB_STOP)
            break;
    }
    free(answer);
    return result;
}
