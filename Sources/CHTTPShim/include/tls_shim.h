#ifndef NSD_TLS_SHIM_H
#define NSD_TLS_SHIM_H
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

/// A certificate chain and its private key, parsed by GnuTLS and checked to belong together.
struct nsd_tls_pair;

/// Parses PEM text (the chain leaf first, then intermediates; the key unencrypted, PKCS#1, PKCS#8
/// or SEC1). NULL on failure, with the reason in `error`.
struct nsd_tls_pair *_Nullable nsd_tls_pair_load(const char *_Nonnull certificate_pem,
                                                 size_t certificate_length, const char *_Nonnull key_pem,
                                                 size_t key_length, char *_Nonnull error,
                                                 size_t error_size);

/// Frees a pair that was never installed.
void nsd_tls_pair_free(struct nsd_tls_pair *_Nullable pair);

/// The leaf's subject, serial (hex) and expiry, for the log; returns the expiry (seconds since the
/// epoch).
int64_t nsd_tls_pair_describe(const struct nsd_tls_pair *_Nonnull pair, char *_Nonnull text,
                              size_t size);

/// Makes `pair` the one every new handshake is given (the process has one TLS identity: MHD's
/// certificate callback carries no context). The previous pair stays valid for handshakes already
/// holding it and is freed at a later install once `grace_seconds` have passed since it was replaced.
void nsd_tls_install(struct nsd_tls_pair *_Nonnull pair, unsigned int grace_seconds);

/// How many CA certificates the PEM text holds (0 and the reason in `error` if it holds none or is
/// damaged).
int nsd_tls_count_authorities(const char *_Nonnull pem, size_t length, char *_Nonnull error,
                              size_t error_size);

/// Whether a pair is installed.
int nsd_tls_installed(void);

/// MHD_OPTION_HTTPS_CERT_CALLBACK's function (a gnutls_certificate_retrieve_function2): the installed
/// pair.
void *_Nonnull nsd_tls_certificate_callback(void);

/// On a new connection of a daemon with a client CA: the handshake fails unless the client sends a
/// certificate that chains to the CA and allows TLS client authentication. 0 on success.
int nsd_tls_require_client_certificate(struct MHD_Connection *_Nonnull connection);

/// The verified client certificate's subject DN (RFC 4514) into `subject`: 1 if verified, 0 if
/// the client sent no certificate, -1 if it sent one that does not verify (or no TLS session).
int nsd_tls_client_subject(struct MHD_Connection *_Nonnull connection, char *_Nonnull subject,
                           size_t size);

#endif
