/*
 * create-client: keep-alive HTTP/1.1 load client for namespaced's sandbox API.
 *
 * Every client (a thread with ONE keep-alive TCP connection) loops:
 *   POST /sandboxes  {spec}                      -> 201, "id" taken from the body
 *   POST /sandboxes/{id}/wait?timeout=T          -> 200, body must say "exited"
 *   DELETE /sandboxes/{id}                       -> 204
 * Each step is timed separately; "create+wait" (the two POSTs) is the figure
 * the benchmark compares with `unshare`; the DELETE is timed too but is NOT
 * part of create+wait. Plain sockets and a minimal parser (status line,
 * Content-Length, Connection: close), so the client's own cost is a few µs.
 *
 *   build: cc -O2 -pthread -o bench/out/create-client bench/create-client.c
 *   run:   create-client -p PORT [-H 127.0.0.1] [-c CLIENTS=1]
 *                        [-n ITERATIONS per client | -d SECONDS] [-w WARMUP per client]
 *                        [-b SPEC_JSON] [-t WAIT_TIMEOUT=30]
 *                        [-W]        do not wait (the sandbox keeps running)
 *                        [-K]        keep: do not delete
 *                        [-o FILE]   append the ids of created sandboxes to FILE
 *                        [-r FILE]   append every measured sample as "PHASE MICROSECONDS"
 *                                    (PHASE: cw, create, wait, delete)
 *          create-client -p PORT -x FILE [-c CLIENTS]   DELETE every id listed in FILE
 *
 * stdout: one line
 *   CREATE_RESULT clients=.. ok=.. errors=.. secs=.. rate=.. cw_mean_us=.. cw_p50_us=..
 *     cw_p99_us=.. create_mean_us=.. create_p50_us=.. create_p99_us=.. wait_..  delete_..
 *     reconnects=.. not_exited=..
 * (rate = completed iterations per second of wall time, all clients together.)
 * stderr: the first few unexpected answers (status and body), verbatim.
 * Exit status 0 when every request got its expected status, 1 otherwise.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SPEC "{\"command\":[\"/bin/true\"],\"namespaces\":[\"mnt\",\"uts\",\"ipc\",\"pid\"]}"
#define MAX_REPORTED_ERRORS 8

static const char* host = "127.0.0.1";
static int port = 0;
static int clients = 1;
static long iterations = 100;
static double duration = 0;
static long warmup = 0;
static const char* spec = DEFAULT_SPEC;
/* "Authorization: Bearer <NSD_TOKEN>\r\n" when NSD_TOKEN is set, else empty. */
static char auth[512];
static int wait_timeout = 30;
static int no_wait = 0, keep = 0;
static const char *ids_out = NULL, *delete_file = NULL, *raw_out = NULL;

static atomic_long reported_errors;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE* ids_fp = NULL;
static char** delete_ids = NULL;
static long delete_count = 0;
static atomic_long delete_next;

static double
now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* ------------------------------------------------------------ samples */
struct samples {
  double* v;
  long n, cap;
};

static void
push(struct samples* s, double x)
{
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 1024;
    s->v = realloc(s->v, (size_t) s->cap * sizeof(double));
    if (!s->v) {
      perror("create-client: realloc");
      exit(2);
    }
  }
  s->v[s->n++] = x;
}

static void
merge(struct samples* into, const struct samples* from)
{
  for (long i = 0; i < from->n; i++)
    push(into, from->v[i]);
}

static int
cmp_double(const void* a, const void* b)
{
  double x = *(const double*) a, y = *(const double*) b;
  return x < y ? -1 : x > y;
}

static void
print_stats(const char* name, struct samples* s)
{
  if (s->n == 0) {
    printf(" %s_n=0 %s_mean_us=nan %s_p50_us=nan %s_p99_us=nan", name, name, name, name);
    return;
  }
  qsort(s->v, (size_t) s->n, sizeof(double), cmp_double);
  double sum = 0;
  for (long i = 0; i < s->n; i++)
    sum += s->v[i];
  /* nearest-rank percentiles */
  long i50 = (long) (0.50 * s->n + 0.999999) - 1, i99 = (long) (0.99 * s->n + 0.999999) - 1;
  if (i50 < 0)
    i50 = 0;
  if (i99 < 0)
    i99 = 0;
  printf(" %s_n=%ld %s_mean_us=%.1f %s_p50_us=%.1f %s_p99_us=%.1f %s_max_us=%.1f", name, s->n, name,
         sum / s->n, name, s->v[i50], name, s->v[i99], name, s->v[s->n - 1]);
}

/* ------------------------------------------------------------ connection */
struct conn {
  int fd;
  char* buf;       /* receive buffer */
  size_t len, cap; /* bytes held, capacity */
  long reconnects;
};

static int
conn_open(struct conn* c)
{
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t) port);
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "create-client: bad host %s\n", host);
    exit(2);
  }
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return -1;
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  struct timeval tv = { .tv_sec = wait_timeout + 30, .tv_usec = 0 };
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(c->fd, (struct sockaddr*) &a, sizeof(a)) < 0) {
    close(c->fd);
    c->fd = -1;
    return -1;
  }
  c->len = 0;
  return 0;
}

static void
conn_close(struct conn* c)
{
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  c->len = 0;
}

struct response {
  int status;
  int close_after;
  char* body; /* NUL-terminated copy */
  size_t body_len;
};

static void
report(const char* fmt, ...)
{
  if (atomic_fetch_add(&reported_errors, 1) >= MAX_REPORTED_ERRORS)
    return;
  va_list ap;
  va_start(ap, fmt);
  pthread_mutex_lock(&out_lock);
  fputs("create-client: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  pthread_mutex_unlock(&out_lock);
  va_end(ap);
}

static int
send_all(int fd, const char* p, size_t n)
{
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t) w;
  }
  return 0;
}

static int
fill(struct conn* c)
{
  if (c->cap - c->len < 4096) {
    c->cap = c->cap ? c->cap * 2 : 65536;
    c->buf = realloc(c->buf, c->cap);
    if (!c->buf) {
      perror("create-client: realloc");
      exit(2);
    }
  }
  for (;;) {
    ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    c->len += (size_t) r;
    return 0;
  }
}

/* Reads one response; chunked bodies are not expected from this server. */
static int
read_response(struct conn* c, struct response* out)
{
  char* end;
  for (;;) {
    if (c->len > 0) {
      c->buf[c->len] = '\0';
      end = memmem(c->buf, c->len, "\r\n\r\n", 4);
      if (end)
        break;
    }
    if (fill(c) < 0)
      return -1;
  }
  size_t head_len = (size_t) (end - c->buf) + 4;
  out->status = 0;
  out->close_after = 0;
  if (sscanf(c->buf, "HTTP/1.%*d %d", &out->status) != 1)
    return -1;
  long content_length = 0;
  for (char* line = strstr(c->buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
    char* h = line + 2;
    if (strncasecmp(h, "Content-Length:", 15) == 0)
      content_length = strtol(h + 15, NULL, 10);
    else if (strncasecmp(h, "Connection:", 11) == 0) {
      char* v = h + 11;
      while (*v == ' ')
        v++;
      if (strncasecmp(v, "close", 5) == 0)
        out->close_after = 1;
    } else if (strncasecmp(h, "Transfer-Encoding:", 18) == 0) {
      report("unexpected Transfer-Encoding in a response; not supported");
      return -1;
    }
  }
  while (c->len < head_len + (size_t) content_length)
    if (fill(c) < 0)
      return -1;
  out->body_len = (size_t) content_length;
  out->body = malloc(out->body_len + 1);
  memcpy(out->body, c->buf + head_len, out->body_len);
  out->body[out->body_len] = '\0';
  size_t used = head_len + (size_t) content_length;
  memmove(c->buf, c->buf + used, c->len - used);
  c->len -= used;
  return 0;
}

/* One request on the keep-alive connection. If the connection turns out to be
 * dead (the server closed it), reconnects and retries once, except for
 * POST /sandboxes, which is not idempotent: that counts as an error.
 * Returns the status, or -1 on a transport error. */
static int
request(struct conn* c, const char* method, const char* path, const char* body, struct response* resp)
{
  char head[1024];
  size_t blen = body ? strlen(body) : 0;
  int hl;
  if (body)
    hl = snprintf(head, sizeof(head),
                  "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%sContent-Type: application/json\r\n"
                  "Content-Length: %zu\r\n\r\n",
                  method, path, host, port, auth, blen);
  else
    hl = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s\r\n", method, path, host, port,
                  auth, strcmp(method, "GET") ? "Content-Length: 0\r\n" : "");
  int retryable = !(body && strcmp(path, "/sandboxes") == 0);
  for (int attempt = 0; attempt < 2; attempt++) {
    if (c->fd < 0) {
      if (conn_open(c) < 0) {
        report("connect %s:%d: %s", host, port, strerror(errno));
        return -1;
      }
      c->reconnects++;
    }
    errno = 0;
    if (send_all(c->fd, head, (size_t) hl) == 0 && (!body || send_all(c->fd, body, blen) == 0) &&
        read_response(c, resp) == 0) {
      if (resp->close_after)
        conn_close(c);
      return resp->status;
    }
    int e = errno;
    conn_close(c);
    if (!retryable || attempt == 1) {
      report("%s %s: transport error: %s", method, path, e ? strerror(e) : "connection closed by the server");
      return -1;
    }
  }
  return -1;
}

static int
extract_id(const char* body, char* id, size_t cap)
{
  const char* p = strstr(body, "\"id\"");
  if (!p)
    return -1;
  p += 4;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  if (*p++ != ':')
    return -1;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  if (*p++ != '"')
    return -1;
  size_t n = 0;
  while (*p && *p != '"' && n + 1 < cap)
    id[n++] = *p++;
  id[n] = '\0';
  return *p == '"' && n > 0 ? 0 : -1;
}

static int
says_exited(const char* body)
{
  const char* p = strstr(body, "\"state\"");
  if (!p)
    return 0;
  p = strchr(p + 7, '"');
  return p && strncmp(p, "\"exited\"", 8) == 0;
}

/* ------------------------------------------------------------ clients */
struct client {
  pthread_t thread;
  int index;
  struct samples cw, create, wait, del;
  long ok, errors, not_exited, reconnects;
};

static double deadline_us = 0;
static pthread_barrier_t warm, go;

static void
record_error(struct client* cl, const char* what, int status, struct response* r)
{
  cl->errors++;
  if (status > 0)
    report("%s -> HTTP %d: %.300s", what, status, r->body ? r->body : "");
}

/* Returns 0 when the whole iteration succeeded. */
static int
one_iteration(struct client* cl, struct conn* c, int measured)
{
  struct response r = { 0 };
  char id[128], path[256];
  double t0 = now_us();
  int st = request(c, "POST", "/sandboxes", spec, &r);
  double t1 = now_us();
  if (st != 201 || extract_id(r.body, id, sizeof(id)) < 0) {
    record_error(cl, "POST /sandboxes", st, &r);
    free(r.body);
    return -1;
  }
  free(r.body);
  r.body = NULL;
  if (ids_fp) {
    pthread_mutex_lock(&out_lock);
    fprintf(ids_fp, "%s\n", id);
    fflush(ids_fp);
    pthread_mutex_unlock(&out_lock);
  }
  double t2 = t1;
  if (!no_wait) {
    snprintf(path, sizeof(path), "/sandboxes/%s/wait?timeout=%d", id, wait_timeout);
    st = request(c, "POST", path, "", &r);
    t2 = now_us();
    if (st != 200) {
      record_error(cl, "POST /sandboxes/{id}/wait", st, &r);
      free(r.body);
      return -1;
    }
    if (!says_exited(r.body)) {
      cl->not_exited++;
      report("wait for %s answered 200 but the sandbox has not exited: %.200s", id, r.body);
    }
    free(r.body);
    r.body = NULL;
  }
  double t3 = t2;
  if (!keep) {
    snprintf(path, sizeof(path), "/sandboxes/%s", id);
    st = request(c, "DELETE", path, NULL, &r);
    t3 = now_us();
    if (st != 204) {
      record_error(cl, "DELETE /sandboxes/{id}", st, &r);
      free(r.body);
      return -1;
    }
    free(r.body);
  }
  if (measured) {
    push(&cl->create, t1 - t0);
    if (!no_wait) {
      push(&cl->wait, t2 - t1);
      push(&cl->cw, t2 - t0);
    }
    if (!keep)
      push(&cl->del, t3 - t2);
  }
  return 0;
}

static void*
run_client(void* arg)
{
  struct client* cl = arg;
  struct conn c = { .fd = -1, .reconnects = -1 }; /* the first connect is not a reconnect */
  for (long i = 0; i < warmup; i++)
    one_iteration(cl, &c, 0);
  /* everyone warmed up -> main takes the start time -> go */
  pthread_barrier_wait(&warm);
  pthread_barrier_wait(&go);
  if (delete_file) {
    for (;;) {
      long k = atomic_fetch_add(&delete_next, 1);
      if (k >= delete_count)
        break;
      char path[256];
      struct response r = { 0 };
      snprintf(path, sizeof(path), "/sandboxes/%s", delete_ids[k]);
      double t0 = now_us();
      int st = request(&c, "DELETE", path, NULL, &r);
      double t1 = now_us();
      if (st == 204 || st == 404) { /* 404: already gone, fine */
        push(&cl->del, t1 - t0);
        cl->ok++;
      } else
        record_error(cl, "DELETE /sandboxes/{id}", st, &r);
      free(r.body);
    }
  } else if (duration > 0) {
    while (now_us() < deadline_us)
      if (one_iteration(cl, &c, 1) == 0)
        cl->ok++;
  } else {
    for (long i = 0; i < iterations; i++)
      if (one_iteration(cl, &c, 1) == 0)
        cl->ok++;
  }
  cl->reconnects = c.reconnects;
  conn_close(&c);
  free(c.buf);
  return NULL;
}

static void
load_ids(const char* file)
{
  FILE* f = fopen(file, "r");
  if (!f) {
    fprintf(stderr, "create-client: %s: %s\n", file, strerror(errno));
    exit(2);
  }
  char line[256];
  long cap = 0;
  while (fgets(line, sizeof(line), f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (!line[0])
      continue;
    if (delete_count == cap) {
      cap = cap ? cap * 2 : 256;
      delete_ids = realloc(delete_ids, (size_t) cap * sizeof(char*));
    }
    delete_ids[delete_count++] = strdup(line);
  }
  fclose(f);
}

static void
usage(const char* argv0)
{
  fprintf(stderr,
          "usage: %s -p PORT [-H HOST] [-c CLIENTS] [-n ITER | -d SECONDS] [-w WARMUP]\n"
          "          [-b SPEC_JSON] [-t WAIT_TIMEOUT] [-W] [-K] [-o IDS_FILE] [-r RAW_FILE]\n"
          "       %s -p PORT -x IDS_FILE [-c CLIENTS]\n",
          argv0, argv0);
  exit(2);
}

int
main(int argc, char** argv)
{
  int opt;
  if (getenv("NSD_TOKEN") && strlen(getenv("NSD_TOKEN")) < sizeof(auth) - 32)
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", getenv("NSD_TOKEN"));
  while ((opt = getopt(argc, argv, "H:p:c:n:d:w:b:t:WKo:x:r:h")) != -1) {
    switch (opt) {
      case 'H':
        host = optarg;
        break;
      case 'p':
        port = atoi(optarg);
        break;
      case 'c':
        clients = atoi(optarg);
        break;
      case 'n':
        iterations = atol(optarg);
        break;
      case 'd':
        duration = atof(optarg);
        break;
      case 'w':
        warmup = atol(optarg);
        break;
      case 'b':
        spec = optarg;
        break;
      case 't':
        wait_timeout = atoi(optarg);
        break;
      case 'W':
        no_wait = 1;
        break;
      case 'K':
        keep = 1;
        break;
      case 'o':
        ids_out = optarg;
        break;
      case 'x':
        delete_file = optarg;
        break;
      case 'r':
        raw_out = optarg;
        break;
      default:
        usage(argv[0]);
    }
  }
  if (port <= 0 || port > 65535 || clients < 1 || clients > 1024 || iterations < 0 || warmup < 0)
    usage(argv[0]);
  if (no_wait && !keep) {
    fprintf(stderr,
            "create-client: -W (no wait) needs -K (keep): a running sandbox is deleted by killing it\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  if (ids_out && !(ids_fp = fopen(ids_out, "a"))) {
    fprintf(stderr, "create-client: %s: %s\n", ids_out, strerror(errno));
    return 2;
  }
  if (delete_file) {
    load_ids(delete_file);
    warmup = 0;
  }

  struct client* cls = calloc((size_t) clients, sizeof(struct client));
  pthread_barrier_init(&warm, NULL, (unsigned) clients + 1);
  pthread_barrier_init(&go, NULL, (unsigned) clients + 1);
  for (int i = 0; i < clients; i++) {
    cls[i].index = i;
    if (pthread_create(&cls[i].thread, NULL, run_client, &cls[i]) != 0) {
      perror("create-client: pthread_create");
      return 2;
    }
  }
  /* Warmup iterations are not part of the wall time or the samples. */
  pthread_barrier_wait(&warm);
  double start = now_us();
  deadline_us = start + duration * 1e6;
  pthread_barrier_wait(&go);
  struct client total = { 0 };
  FILE* raw = NULL;
  if (raw_out && !(raw = fopen(raw_out, "a"))) {
    fprintf(stderr, "create-client: %s: %s\n", raw_out, strerror(errno));
    return 2;
  }
  for (int i = 0; i < clients; i++) {
    pthread_join(cls[i].thread, NULL);
    if (raw) {
      const struct {
        const char* name;
        struct samples* s;
      } phases[] = { { "cw", &cls[i].cw },
                     { "create", &cls[i].create },
                     { "wait", &cls[i].wait },
                     { "delete", &cls[i].del } };
      for (size_t k = 0; k < sizeof(phases) / sizeof(phases[0]); k++)
        for (long j = 0; j < phases[k].s->n; j++)
          fprintf(raw, "%s %.1f\n", phases[k].name, phases[k].s->v[j]);
    }
    merge(&total.cw, &cls[i].cw);
    merge(&total.create, &cls[i].create);
    merge(&total.wait, &cls[i].wait);
    merge(&total.del, &cls[i].del);
    total.ok += cls[i].ok;
    total.errors += cls[i].errors;
    total.not_exited += cls[i].not_exited;
    total.reconnects += cls[i].reconnects;
  }
  double secs = (now_us() - start) / 1e6;
  if (raw)
    fclose(raw);
  if (ids_fp)
    fclose(ids_fp);

  printf("CREATE_RESULT clients=%d ok=%ld errors=%ld not_exited=%ld reconnects=%ld secs=%.3f rate=%.2f",
         clients, total.ok, total.errors, total.not_exited, total.reconnects, secs,
         secs > 0 ? total.ok / secs : 0.0);
  print_stats("cw", &total.cw);
  print_stats("create", &total.create);
  print_stats("wait", &total.wait);
  print_stats("delete", &total.del);
  printf("\n");
  return total.errors || total.not_exited ? 1 : 0;
}
