/*
 * mhd-bare: a bare libmicrohttpd server, used ONLY as a benchmark reference
 * point for namespaced's /healthz (same library, same daemon flags, no Swift).
 *
 *   build: cc -O2 -o bench/out/mhd-bare bench/mhd-bare.c \
 *              $(pkg-config --cflags --libs libmicrohttpd)
 *   run:   bench/out/mhd-bare [port=18080] [threads=<online cores>] [limits-body-file]
 *
 * Listens on 127.0.0.1 only. Any GET -> 200 {"status":"ok"} (application/json);
 * with a limits-body-file, GET /limits answers that file's bytes instead (read
 * once at start), so the /limits comparison puts as many bytes on the wire;
 * other methods -> 405. Runs until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

static const char BODY[] = "{\"status\":\"ok\"}";
static char* limits_body;
static size_t limits_len;

static enum MHD_Result
handler(void* cls, struct MHD_Connection* conn, const char* url, const char* method, const char* version,
        const char* upload_data, size_t* upload_data_size, void** con_cls)
{
  (void) cls;
  (void) version;
  (void) upload_data;
  struct MHD_Response* resp;
  enum MHD_Result ret;
  static int first_call_marker;

  /* Standard MHD pattern: the first call only sees the headers. Queueing a
   * response there is an "early" response; MHD 0.9.75 then refuses to read
   * further data and answers "Connection: close", which kills keep-alive.
   * So defer to the second call (request fully received). */
  if (&first_call_marker != *con_cls) {
    *con_cls = &first_call_marker;
    return MHD_YES;
  }
  if (0 != *upload_data_size) {
    *upload_data_size = 0; /* discard any request body */
    return MHD_YES;
  }

  if (0 != strcmp(method, MHD_HTTP_METHOD_GET)) {
    resp = MHD_create_response_from_buffer(0, (void*) "", MHD_RESPMEM_PERSISTENT);
    if (NULL == resp)
      return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, MHD_HTTP_METHOD_GET);
    ret = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
    MHD_destroy_response(resp);
    return ret;
  }

  /* Built per request, on purpose: mirrors what a real handler does. */
  if (limits_body && 0 == strcmp(url, "/limits"))
    resp = MHD_create_response_from_buffer(limits_len, limits_body, MHD_RESPMEM_PERSISTENT);
  else
    resp = MHD_create_response_from_buffer(sizeof(BODY) - 1, (void*) BODY, MHD_RESPMEM_PERSISTENT);
  if (NULL == resp)
    return MHD_NO;
  if (MHD_NO == MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json")) {
    MHD_destroy_response(resp);
    return MHD_NO;
  }
  ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
  MHD_destroy_response(resp);
  return ret;
}

static long
parse_arg(const char* s, const char* what, long lo, long hi)
{
  char* end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr, "mhd-bare: bad %s '%s' (expected %ld..%ld)\n", what, s, lo, hi);
    exit(2);
  }
  return v;
}

int
main(int argc, char** argv)
{
  long port = 18080;
  long threads = sysconf(_SC_NPROCESSORS_ONLN);
  if (threads < 1)
    threads = 1;

  if (argc > 4 || (argc > 1 && (0 == strcmp(argv[1], "-h") || 0 == strcmp(argv[1], "--help")))) {
    fprintf(stderr, "usage: %s [port=18080] [threads=%ld] [limits-body-file]\n", argv[0], threads);
    return 2;
  }
  if (argc > 1)
    port = parse_arg(argv[1], "port", 1, 65535);
  if (argc > 2)
    threads = parse_arg(argv[2], "threads", 1, 1024);
  if (argc > 3) {
    FILE* f = fopen(argv[3], "rb");
    static char buf[1 << 20];
    if (!f) {
      perror(argv[3]);
      return 2;
    }
    limits_len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    limits_body = buf;
  }

  /* Block the stop signals before MHD creates its threads (they inherit the
   * mask), then wait for them synchronously in the main thread. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  if (0 != pthread_sigmask(SIG_BLOCK, &stop, NULL)) {
    perror("mhd-bare: pthread_sigmask");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t) port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  struct MHD_Daemon* d =
    MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, (uint16_t) port, NULL, NULL, &handler,
                     NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr*) &addr, MHD_OPTION_THREAD_POOL_SIZE,
                     (unsigned int) threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 1024,
                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 30, MHD_OPTION_END);
  if (NULL == d) {
    fprintf(stderr, "mhd-bare: MHD_start_daemon failed on 127.0.0.1:%ld\n", port);
    return 1;
  }
  fprintf(stderr, "mhd-bare: listening on 127.0.0.1:%ld, %ld thread(s), pid %ld\n", port, threads,
          (long) getpid());

  int sig = 0;
  while (0 != sigwait(&stop, &sig))
    ;
  fprintf(stderr, "mhd-bare: got signal %d, stopping\n", sig);
  MHD_stop_daemon(d);
  return 0;
}
