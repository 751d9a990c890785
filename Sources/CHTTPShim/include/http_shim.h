#ifndef NSD_HTTP_SHIM_H
#define NSD_HTTP_SHIM_H
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

/// Everything MHD_start_daemon needs; Swift cannot call that variadic function itself.
struct nsd_http_config {
    int listen_fd;        ///< bound and listening socket (TCP or unix), owned by MHD afterwards
    unsigned int threads; ///< epoll worker threads (>= 1)
    unsigned int connection_limit;
    unsigned int per_ip_limit;    ///< 0: no per-address limit
    unsigned int timeout_seconds; ///< idle connection timeout
    MHD_AccessHandlerCallback _Nonnull handler;
    void *_Nullable handler_context;
    MHD_RequestCompletedCallback _Nonnull completed;
    void *_Nullable completed_context;
    MHD_NotifyConnectionCallback _Nonnull connection_notify; ///< connection opened or closed
    void *_Nullable connection_context;
    /// The request line has arrived (the head of a request has begun); returns NULL.
    void *_Nullable (*_Nonnull request_line)(void *_Nullable context, const char *_Nonnull uri,
                                             struct MHD_Connection *_Nonnull connection);
    void *_Nullable request_line_context;
    int tls; ///< HTTPS with the pair installed by nsd_tls_install
    /// PEM CA certificates client certificates must chain to (mutual TLS); NULL: none asked for.
    /// MHD keeps the pointer: it must live as long as the daemon.
    const char *_Nullable client_ca_pem;
};

/// Starts the daemon; NULL if MHD refuses (its reason is on stderr).
struct MHD_Daemon *_Nullable nsd_http_start(const struct nsd_http_config *_Nonnull config);

/// The client's address as text ("127.0.0.1", "::1", "unix"), for the audit log and fair shares.
void nsd_http_client_address(struct MHD_Connection *_Nonnull connection, char *_Nonnull buffer,
                             size_t size);

/// POLLRDHUP (peer closed its end), which glibc declares only under _GNU_SOURCE.
enum { NSD_POLLRDHUP = 0x2000 };

/// The connection's socket, to notice a client that hangs up while its request is suspended.
int nsd_http_connection_fd(struct MHD_Connection *_Nonnull connection);

/// SO_PEERCRED of a unix-socket connection; 0 on success, -1 (errno set) otherwise.
int nsd_http_peer_credentials(struct MHD_Connection *_Nonnull connection, uint32_t *_Nonnull uid,
                              uint32_t *_Nonnull gid, int32_t *_Nonnull pid);

#endif
