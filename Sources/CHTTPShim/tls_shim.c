// GnuTLS is C only: the certificate callback, the pair it hands out, and client verification.
#define _GNU_SOURCE
#include "tls_shim.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_CHAIN = 16 };

struct nsd_tls_pair {
    gnutls_pcert_st chain[MAX_CHAIN];
    unsigned int length;
    gnutls_privkey_t key;
    struct nsd_tls_pair *retired_next;
    time_t retired_at;
};

static _Atomic(struct nsd_tls_pair *) current;
static pthread_mutex_t retired_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nsd_tls_pair *retired;

/* A client certificate must be allowed for TLS client authentication (or carry no purpose at
 * all), as OpenSSL servers demand: a server certificate from the same CA is not a client's. */
static gnutls_typed_vdata_st client_purpose = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
                                                .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
                                                .size = 0 };

void nsd_tls_pair_free(struct nsd_tls_pair *pair)
{
    if (pair == NULL)
        return;
    for (unsigned int i = 0; i < pair->length; i++)
        gnutls_pcert_deinit(&pair->chain[i]);
    if (pair->key != NULL)
        gnutls_privkey_deinit(pair->key);
    free(pair);
}

/* The same public key in DER, from the leaf and from the private key. */
static int key_matches_leaf(struct nsd_tls_pair *pair)
{
    gnutls_pubkey_t from_key = NULL;
    gnutls_datum_t a = { NULL, 0 }, b = { NULL, 0 };
    int same = 0;
    if (gnutls_pubkey_init(&from_key) == 0 &&
        gnutls_pubkey_import_privkey(from_key, pair->key, 0, 0) == 0 &&
        gnutls_pubkey_export2(from_key, GNUTLS_X509_FMT_DER, &a) == 0 &&
        gnutls_pubkey_export2(pair->chain[0].pubkey, GNUTLS_X509_FMT_DER, &b) == 0) {
        same = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
    }
    gnutls_free(a.data);
    gnutls_free(b.data);
    if (from_key != NULL)
        gnutls_pubkey_deinit(from_key);
    return same;
}

struct nsd_tls_pair *nsd_tls_pair_load(const char *certificate_pem, size_t certificate_length,
                                       const char *key_pem, size_t key_length, char *error,
                                       size_t error_size)
{
    struct nsd_tls_pair *pair = calloc(1, sizeof *pair);
    if (pair == NULL) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    gnutls_datum_t certificate = { (unsigned char *)certificate_pem, (unsigned int)certificate_length };
    pair->length = MAX_CHAIN;
    int rc =
        gnutls_pcert_list_import_x509_raw(pair->chain, &pair->length, &certificate, GNUTLS_X509_FMT_PEM,
                                          GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
    if (rc < 0) {
        pair->length = 0;
        snprintf(error, error_size, "the certificate file: %s", gnutls_strerror(rc));
        goto fail;
    }
    if (pair->length == 0) {
        snprintf(error, error_size, "the certificate file holds no certificate");
        goto fail;
    }
    gnutls_datum_t key = { (unsigned char *)key_pem, (unsigned int)key_length };
    if ((rc = gnutls_privkey_init(&pair->key)) < 0 ||
        (rc = gnutls_privkey_import_x509_raw(pair->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        snprintf(error, error_size, "the key file: %s", gnutls_strerror(rc));
        goto fail;
    }
    if (!key_matches_leaf(pair)) {
        snprintf(error, error_size, "the key does not belong to the certificate");
        goto fail;
    }
    return pair;
fail:
    nsd_tls_pair_free(pair);
    return NULL;
}

int64_t nsd_tls_pair_describe(const struct nsd_tls_pair *pair, char *text, size_t size)
{
    gnutls_x509_crt_t leaf = NULL;
    gnutls_datum_t dn = { NULL, 0 };
    unsigned char serial[40];
    size_t serial_size = sizeof serial;
    int64_t expires = 0;
    snprintf(text, size, "?");
    if (gnutls_pcert_export_x509((gnutls_pcert_st *)&pair->chain[0], &leaf) < 0)
        return 0;
    if (gnutls_x509_crt_get_dn3(leaf, &dn, 0) == 0 &&
        gnutls_x509_crt_get_serial(leaf, serial, &serial_size) == 0) {
        char hex[2 * sizeof serial + 1];
        for (size_t i = 0; i < serial_size; i++)
            sprintf(hex + 2 * i, "%02x", serial[i]);
        hex[2 * serial_size] = '\0';
        snprintf(text, size, "subject %s, serial %s", (const char *)dn.data, hex);
    }
    expires = (int64_t)gnutls_x509_crt_get_expiration_time(leaf);
    gnutls_free(dn.data);
    gnutls_x509_crt_deinit(leaf);
    return expires;
}

void nsd_tls_install(struct nsd_tls_pair *pair, unsigned int grace_seconds)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&retired_lock);
    struct nsd_tls_pair *previous = atomic_exchange_explicit(&current, pair, memory_order_acq_rel);
    for (struct nsd_tls_pair **link = &retired; *link != NULL;) {
        struct nsd_tls_pair *old = *link;
        if (now.tv_sec - old->retired_at > (time_t)grace_seconds) {
            *link = old->retired_next;
            nsd_tls_pair_free(old);
        } else {
            link = &old->retired_next;
        }
    }
    if (previous != NULL) {
        previous->retired_at = now.tv_sec;
        previous->retired_next = retired;
        retired = previous;
    }
    pthread_mutex_unlock(&retired_lock);
}

int nsd_tls_count_authorities(const char *pem, size_t length, char *error, size_t error_size)
{
    gnutls_x509_crt_t *list = NULL;
    unsigned int count = 0;
    gnutls_datum_t text = { (unsigned char *)pem, (unsigned int)length };
    int rc = gnutls_x509_crt_list_import2(&list, &count, &text, GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0) {
        snprintf(error, error_size, "%s", gnutls_strerror(rc));
        return 0;
    }
    for (unsigned int i = 0; i < count; i++)
        gnutls_x509_crt_deinit(list[i]);
    gnutls_free(list);
    if (count == 0)
        snprintf(error, error_size, "no certificate in it");
    return (int)count;
}

int nsd_tls_installed(void) { return atomic_load_explicit(&current, memory_order_acquire) != NULL; }

/* GnuTLS neither frees nor changes what this returns (retrieve_function2), so the pair must
 * outlive the handshake: see the grace period of nsd_tls_install. */
static int hand_out_pair(gnutls_session_t session, const gnutls_datum_t *requested_cas,
                         int requested_count, const gnutls_pk_algorithm_t *algorithms,
                         int algorithm_count, gnutls_pcert_st **chain, unsigned int *length,
                         gnutls_privkey_t *key)
{
    (void)session, (void)requested_cas, (void)requested_count, (void)algorithms, (void)algorithm_count;
    struct nsd_tls_pair *pair = atomic_load_explicit(&current, memory_order_acquire);
    if (pair == NULL)
        return -1;
    *chain = pair->chain;
    *length = pair->length;
    *key = pair->key;
    return 0;
}

void *nsd_tls_certificate_callback(void)
{
    gnutls_certificate_retrieve_function2 *callback = hand_out_pair;
    return (void *)callback;
}

static gnutls_session_t session_of(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    return info == NULL ? NULL : (gnutls_session_t)info->tls_session;
}

int nsd_tls_require_client_certificate(struct MHD_Connection *connection)
{
    gnutls_session_t session = session_of(connection);
    if (session == NULL)
        return -1;
    gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_verify_cert2(session, &client_purpose, 1, 0);
    return 0;
}

int nsd_tls_client_subject(struct MHD_Connection *connection, char *subject, size_t size)
{
    gnutls_session_t session = session_of(connection);
    if (session == NULL)
        return -1;
    unsigned int count = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &count);
    if (peers == NULL || count == 0)
        return 0;
    unsigned int status = 0;
    if (gnutls_certificate_verify_peers(session, &client_purpose, 1, &status) < 0 || status != 0)
        return -1;
    gnutls_x509_crt_t leaf = NULL;
    gnutls_datum_t dn = { NULL, 0 };
    int verified = -1;
    if (gnutls_x509_crt_init(&leaf) == 0 &&
        gnutls_x509_crt_import(leaf, &peers[0], GNUTLS_X509_FMT_DER) == 0 &&
        gnutls_x509_crt_get_dn3(leaf, &dn, 0) == 0) {
        snprintf(subject, size, "%s", (const char *)dn.data);
        verified = 1;
    }
    gnutls_free(dn.data);
    if (leaf != NULL)
        gnutls_x509_crt_deinit(leaf);
    return verified;
}
