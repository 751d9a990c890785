// MHD_start_daemon and MHD_get_connection_info are C-variadic; Swift reaches them through here.
#define _GNU_SOURCE
#include "http_shim.h"
#include "unescape.h"
#include "tls_shim.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* libmicrohttpd's unescape callback: the decoding itself is in unescape.c. */
static size_t unescape_printable(void *cls, struct MHD_Connection *connection, char *text)
{
    (void)cls;
    (void)connection;
    return nsd_unescape_printable(text);
}

int nsd_http_connection_fd(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : (int)info->connect_fd;
}

/* Each connection's memory pool: its request head, then its response head and the pieces of a
 * chunked body. MHD's default is 32 KiB, zeroed by the half or whole with every request; an event
 * listener keeps its pool for as long as it listens, so the pool is most of what a listener costs.
 * 8 KiB takes request heads of about 7 KiB (larger ones get 431, near nginx's 8 KiB header
 * buffers); a body is handed to the server in pieces and never has to fit. */
enum { NSD_HTTP_CONNECTION_MEMORY = 8 * 1024 };

struct MHD_Daemon *nsd_http_start(const struct nsd_http_config *c)
{
    unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    struct MHD_OptionItem tls[3] = { { MHD_OPTION_END, 0, NULL },
                                     { MHD_OPTION_END, 0, NULL },
                                     { MHD_OPTION_END, 0, NULL } };
    if (c->tls) {
        flags |= MHD_USE_TLS;
        tls[0] =
            (struct MHD_OptionItem){ MHD_OPTION_HTTPS_CERT_CALLBACK, 0, nsd_tls_certificate_callback() };
        if (c->client_ca_pem != NULL) {
            tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, (void *)c->client_ca_pem };
        }
    }
    return MHD_start_daemon(
        flags, 0, NULL, NULL, c->handler, c->handler_context, MHD_OPTION_LISTEN_SOCKET,
        (MHD_socket)c->listen_fd, MHD_OPTION_THREAD_POOL_SIZE, c->threads, MHD_OPTION_CONNECTION_LIMIT,
        c->connection_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->per_ip_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, c->timeout_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)NSD_HTTP_CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, c->completed,
        c->completed_context, MHD_OPTION_UNESCAPE_CALLBACK, unescape_printable, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, c->connection_notify, c->connection_context,
        MHD_OPTION_URI_LOG_CALLBACK, c->request_line, c->request_line_context, MHD_OPTION_ARRAY, tls,
        MHD_OPTION_END);
}

void nsd_http_client_address(struct MHD_Connection *connection, char *buffer, size_t size)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buffer, size, "unix");
    if (info == NULL || info->client_addr == NULL)
        return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buffer, (socklen_t)size);
    } else if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buffer, (socklen_t)size);
    }
}

int nsd_http_peer_credentials(struct MHD_Connection *connection, uint32_t *uid, uint32_t *gid,
                              int32_t *pid)
{
    int fd = nsd_http_connection_fd(connection);
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0)
        return -1;
    *uid = credentials.uid;
    *gid = credentials.gid;
    *pid = credentials.pid;
    return 0;
}
