/*
 * mhd-tls-bare: a bare libmicrohttpd HTTPS server, the reference for namespaced's HTTPS figures
 * (same library, same daemon mode and thread count, same certificate, no Swift).
 *
 *   build: cc -O2 -o bench/out/mhd-tls-bare bench/mhd-tls-bare.c $(pkg-config --cflags --libs libmicrohttpd)
 *   run:   bench/out/mhd-tls-bare PORT THREADS CERT.pem KEY.pem
 *
 * Listens on 127.0.0.1. GET /healthz answers the bytes namespaced answers: 200, Content-Type
 * application/json, the same ETag and body. Anything else: 404. Runs until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

static const char BODY[] = "{\"status\":\"ok\"}";
static const char ETAG[] = "\"92ae23487a8ce153\"";

static enum MHD_Result
handler(void* cls, struct MHD_Connection* connection, const char* url, const char* method,
        const char* version, const char* upload, size_t* upload_size, void** context)
{
  (void) cls, (void) version, (void) upload;
  static int seen;
  /* The first call sees only the head; answering there makes MHD close the connection. */
  if (*context != &seen) {
    *context = &seen;
    return MHD_YES;
  }
  if (*upload_size != 0) {
    *upload_size = 0;
    return MHD_YES;
  }
  int found = strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0;
  struct MHD_Response* response =
    found ? MHD_create_response_from_buffer(sizeof BODY - 1, (void*) BODY, MHD_RESPMEM_PERSISTENT)
          : MHD_create_response_from_buffer(0, (void*) "", MHD_RESPMEM_PERSISTENT);
  if (response == NULL)
    return MHD_NO;
  if (found) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(response, MHD_HTTP_HEADER_ETAG, ETAG);
  }
  enum MHD_Result result = MHD_queue_response(connection, found ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND, response);
  MHD_destroy_response(response);
  return result;
}

static char*
read_file(const char* path)
{
  FILE* file = fopen(path, "rb");
  if (file == NULL) {
    perror(path);
    exit(2);
  }
  char* text = NULL;
  size_t length = 0;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, file)) > 0) {
    text = realloc(text, length + n + 1);
    memcpy(text + length, chunk, n);
    length += n;
  }
  fclose(file);
  if (text == NULL) {
    fprintf(stderr, "%s is empty\n", path);
    exit(2);
  }
  text[length] = '\0';
  return text;
}

int
main(int argc, char** argv)
{
  if (argc != 5) {
    fprintf(stderr, "usage: %s PORT THREADS CERT.pem KEY.pem\n", argv[0]);
    return 2;
  }
  if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
    fprintf(stderr, "mhd-tls-bare: this libmicrohttpd has no TLS support\n");
    return 1;
  }
  int port = atoi(argv[1]);
  unsigned int threads = (unsigned int) atoi(argv[2]);
  char* certificate = read_file(argv[3]);
  char* key = read_file(argv[4]);

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t) port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  /* namespaced's daemon mode: epoll worker threads, TLS, suspend/resume allowed. */
  struct MHD_Daemon* daemon = MHD_start_daemon(
    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TLS, 0, NULL, NULL,
    handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr*) &address, MHD_OPTION_THREAD_POOL_SIZE, threads,
    MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_HTTPS_MEM_CERT,
    certificate, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
  if (daemon == NULL) {
    fprintf(stderr, "mhd-tls-bare: MHD_start_daemon failed on port %d\n", port);
    return 1;
  }
  fprintf(stderr, "mhd-tls-bare: listening on https://127.0.0.1:%d with %u threads\n", port, threads);
  int received;
  sigwait(&stop, &received);
  MHD_stop_daemon(daemon);
  free(certificate);
  free(key);
  return 0;
}
