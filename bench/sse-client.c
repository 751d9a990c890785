/*
 * sse-client: many GET /events listeners (server-sent events) for namespaced's benchmarks.
 *
 * Opens L connections to GET /events (HTTP/1.1 keep-alive, the token from NSD_TOKEN), each from a
 * loopback source address that carries at most -A of them (the server caps connections per client
 * address), and waits until every one has its response head and first frame. One thread reads them
 * all through epoll, undoes the chunked framing and parses the events. Then:
 *
 *   hold (-i):     prints "SSE_READY listeners=L" and reads, parsing and counting, until SIGTERM,
 *                  SIGINT or -d SECONDS; then one line
 *                    SSE_HOLD listeners=.. closed=.. events=.. exited_min=.. exited_max=..
 *                  (closed: listeners the server hung up on; exited_min/max: sandbox.exited events
 *                  per listener, the fewest and the most)
 *   fan-out (-n):  a second thread, on one more keep-alive connection, creates N sandboxes one at
 *                  a time (POST /sandboxes with -b SPEC), waits until every listener has that
 *                  sandbox's `sandbox.exited` event, then DELETEs it. Each arrival is one sample:
 *                    delay = (CLOCK_REALTIME when recv() returned the event's bytes)
 *                            - (the event's exitedAt, which is the time the sandbox's init
 *                               recorded when the command ended, CLOCK_REALTIME of the same host)
 *                  exitedAt has millisecond resolution, so a delay is known to within 1 ms.
 *                  stdout: one line
 *                    FANOUT_RESULT listeners=.. iterations=.. samples=.. missing=.. mismatched=..
 *                      closed=.. mean_us=.. p50_us=.. p99_us=.. max_us=.. last_p50_us=.. last_p99_us=..
 *                  (last_*: per event, the delay of the listener that got it last)
 *
 *   build: cc -O2 -pthread -o bench/out/sse-client bench/sse-client.c
 *   run:   sse-client -p PORT [-H 127.0.0.1] -l LISTENERS [-A PER_ADDRESS=250] [-q QUERY]
 *                     (-i [-d SECONDS] | -n ITERATIONS [-w WARMUP] [-b SPEC_JSON] [-r RAW_FILE])
 *          -q: the query string of GET /events (default none: every event type)
 * stderr: what went wrong (refused listeners, failed requests), verbatim.
 * Exit status 0 when every listener connected and every request got its expected status.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SPEC "{\"command\":[\"/bin/true\"],\"namespaces\":[\"mnt\",\"uts\",\"ipc\",\"pid\"]}"

static const char* host = "127.0.0.1";
static int port = 0;
static int listeners = 0;
static int per_address = 250;
static const char* query = "";
static int hold = 0;
static double hold_seconds = 0;
static long iterations = 0, warmup = 5;
static const char* spec = DEFAULT_SPEC;
static const char* raw_out = NULL;
static char auth[512];
static volatile sig_atomic_t stop_requested = 0;

static double
realtime_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double
monotonic_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char* fmt, const char* arg)
{
  fprintf(stderr, "sse-client: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  exit(2);
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
    s->cap = s->cap ? s->cap * 2 : 4096;
    s->v = realloc(s->v, (size_t) s->cap * sizeof(double));
    if (!s->v)
      die("%s", "out of memory");
  }
  s->v[s->n++] = x;
}

static int
cmp_double(const void* a, const void* b)
{
  double x = *(const double*) a, y = *(const double*) b;
  return x < y ? -1 : x > y;
}

/* nearest-rank percentile of sorted samples */
static double
rank(const struct samples* s, double q)
{
  long i = (long) (q * s->n + 0.999999) - 1;
  return s->n == 0 ? 0 : s->v[i < 0 ? 0 : i];
}

/* ------------------------------------------------------------ listeners */
enum phase { HEAD, CHUNK_SIZE, CHUNK_DATA, CHUNK_CRLF, CLOSED };

struct listener {
  int fd;
  enum phase phase;
  int ready; /* head received and the first frame parsed */
  char head[4096];
  size_t head_len;
  char size_line[32];
  size_t size_len;
  size_t chunk_left;
  char* line; /* the SSE line being assembled */
  size_t line_len, line_cap;
  char event[64];
  char* data;
  size_t data_len, data_cap;
  long events, exited;
};

static struct listener* ls;
static int ready_count = 0, closed_count = 0;
static long event_count = 0;

/* What the fan-out thread and the reading thread share. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static long exited_total = 0;
static int measuring = 0;
static char iteration_id[128];
static long mismatched = 0;
static double iteration_last = 0; /* the latest delay of this iteration's event */
static struct samples delays, last_delays;

static void
append(char** buf, size_t* len, size_t* cap, const char* p, size_t n)
{
  if (*len + n + 1 > *cap) {
    while (*len + n + 1 > *cap)
      *cap = *cap ? *cap * 2 : 1024;
    *buf = realloc(*buf, *cap);
    if (!*buf)
      die("%s", "out of memory");
  }
  memcpy(*buf + *len, p, n);
  *len += n;
  (*buf)[*len] = '\0';
}

/* The value of "key":"..." in a JSON text (the first occurrence), into out. */
static int
json_string(const char* json, const char* key, char* out, size_t cap)
{
  char pattern[64];
  snprintf(pattern, sizeof(pattern), "\"%s\":\"", key);
  const char* p = strstr(json, pattern);
  if (!p)
    return -1;
  p += strlen(pattern);
  size_t n = 0;
  while (*p && *p != '"' && n + 1 < cap)
    out[n++] = *p++;
  out[n] = '\0';
  return *p == '"' ? 0 : -1;
}

/* RFC 3339 UTC ("2026-12-02T01:11:00.123Z") -> µs since the epoch; < 0 when unreadable. */
static double
rfc3339_us(const char* text)
{
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  int consumed = 0;
  if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
             &tm.tm_sec, &consumed) != 6)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  double us = (double) timegm(&tm) * 1e6;
  const char* p = text + consumed;
  if (*p == '.') {
    double scale = 1e5;
    for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
      us += (*p - '0') * scale;
  }
  return *p == 'Z' ? us : -1;
}

static void
dispatch(struct listener* l, double arrival)
{
  l->events++;
  event_count++;
  if (strcmp(l->event, "sandbox.exited") == 0 && l->data) {
    l->exited++;
    char id[128] = "", exited_at[64] = "";
    json_string(l->data, "id", id, sizeof(id));
    json_string(l->data, "exitedAt", exited_at, sizeof(exited_at));
    double at = rfc3339_us(exited_at);
    pthread_mutex_lock(&lock);
    if (iteration_id[0] == '\0')
      snprintf(iteration_id, sizeof(iteration_id), "%s", id);
    else if (strcmp(iteration_id, id) != 0)
      mismatched++;
    if (measuring && at > 0) {
      push(&delays, arrival - at);
      if (arrival - at > iteration_last)
        iteration_last = arrival - at;
    }
    exited_total++;
    pthread_cond_broadcast(&arrived);
    pthread_mutex_unlock(&lock);
  }
  l->event[0] = '\0';
  l->data_len = 0;
  if (l->data)
    l->data[0] = '\0';
}

/* One SSE line (without its newline). */
static void
sse_line(struct listener* l, const char* line, size_t n, double arrival)
{
  if (n == 0) {
    if (l->event[0] || l->data_len)
      dispatch(l, arrival);
    l->ready = 1;
    return;
  }
  if (line[0] == ':')
    return;
  if (n > 7 && strncmp(line, "event: ", 7) == 0) {
    size_t k = n - 7 < sizeof(l->event) - 1 ? n - 7 : sizeof(l->event) - 1;
    memcpy(l->event, line + 7, k);
    l->event[k] = '\0';
  } else if (n >= 6 && strncmp(line, "data: ", 6) == 0) {
    if (l->data_len)
      append(&l->data, &l->data_len, &l->data_cap, "\n", 1);
    append(&l->data, &l->data_len, &l->data_cap, line + 6, n - 6);
  }
}

/* Bytes of the body, chunked framing removed. */
static void
sse_bytes(struct listener* l, const char* p, size_t n, double arrival)
{
  while (n > 0) {
    const char* nl = memchr(p, '\n', n);
    size_t k = nl ? (size_t) (nl - p) : n;
    if (nl) {
      if (l->line_len) {
        append(&l->line, &l->line_len, &l->line_cap, p, k);
        sse_line(l, l->line, l->line_len, arrival);
        l->line_len = 0;
      } else
        sse_line(l, p, k, arrival);
      k++;
    } else
      append(&l->line, &l->line_len, &l->line_cap, p, k);
    p += k;
    n -= k;
  }
}

static void
mark_closed(struct listener* l, int epfd)
{
  if (l->phase == CLOSED)
    return;
  epoll_ctl(epfd, EPOLL_CTL_DEL, l->fd, NULL);
  close(l->fd);
  l->phase = CLOSED;
  pthread_mutex_lock(&lock);
  closed_count++;
  pthread_cond_broadcast(&arrived);
  pthread_mutex_unlock(&lock);
}

/* Everything recv() returned at `arrival`, through the head and the chunked framing. */
static void
feed(struct listener* l, const char* p, size_t n, double arrival, int epfd)
{
  while (n > 0 && l->phase != CLOSED) {
    switch (l->phase) {
      case HEAD: {
        size_t k = n < sizeof(l->head) - 1 - l->head_len ? n : sizeof(l->head) - 1 - l->head_len;
        memcpy(l->head + l->head_len, p, k);
        l->head_len += k;
        l->head[l->head_len] = '\0';
        char* end = strstr(l->head, "\r\n\r\n");
        if (!end) {
          if (l->head_len == sizeof(l->head) - 1) {
            fprintf(stderr, "sse-client: response head too long\n");
            mark_closed(l, epfd);
            return;
          }
          return;
        }
        int status = 0;
        sscanf(l->head, "HTTP/1.%*d %d", &status);
        if (status != 200 || !strcasestr(l->head, "Transfer-Encoding: chunked")) {
          static int refusals_told = 0;
          if (refusals_told++ < 3)
            fprintf(stderr, "sse-client: GET /events answered: %.400s\n", l->head);
          mark_closed(l, epfd);
          return;
        }
        size_t used = (size_t) (end + 4 - l->head) - (l->head_len - k);
        p += used;
        n -= used;
        l->phase = CHUNK_SIZE;
        break;
      }
      case CHUNK_SIZE: {
        char c = *p++;
        n--;
        if (c == '\n') {
          l->size_line[l->size_len] = '\0';
          l->chunk_left = strtoul(l->size_line, NULL, 16);
          l->size_len = 0;
          l->phase = CHUNK_DATA;
          if (l->chunk_left == 0) /* the last chunk: the server ended the stream */
            mark_closed(l, epfd);
        } else if (c != '\r' && l->size_len < sizeof(l->size_line) - 1)
          l->size_line[l->size_len++] = c;
        break;
      }
      case CHUNK_DATA: {
        size_t k = n < l->chunk_left ? n : l->chunk_left;
        sse_bytes(l, p, k, arrival);
        p += k;
        n -= k;
        l->chunk_left -= k;
        if (l->chunk_left == 0)
          l->phase = CHUNK_CRLF;
        break;
      }
      case CHUNK_CRLF:
        if (*p == '\n')
          l->phase = CHUNK_SIZE;
        p++;
        n--;
        break;
      case CLOSED:
        return;
    }
  }
}

static void
read_ready(struct listener* l, int epfd)
{
  char buf[65536];
  for (;;) {
    ssize_t r = recv(l->fd, buf, sizeof(buf), 0);
    if (r > 0) {
      int was_ready = l->ready;
      feed(l, buf, (size_t) r, realtime_us(), epfd);
      if (!was_ready && l->ready)
        ready_count++;
      continue;
    }
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    mark_closed(l, epfd); /* the server closed it, or an error */
    return;
  }
}

static int
connect_from(const char* source)
{
  struct sockaddr_in to, from;
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t) port);
  if (inet_pton(AF_INET, host, &to.sin_addr) != 1)
    die("bad host %s", host);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (source) {
    memset(&from, 0, sizeof(from));
    from.sin_family = AF_INET;
    inet_pton(AF_INET, source, &from.sin_addr);
    if (bind(fd, (struct sockaddr*) &from, sizeof(from)) < 0) {
      close(fd);
      return -1;
    }
  }
  if (connect(fd, (struct sockaddr*) &to, sizeof(to)) < 0) {
    close(fd);
    return -1;
  }
  return fd;
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

/* ------------------------------------------------------------ the fan-out driver */
struct response {
  int status;
  char body[16384];
};

/* One request on a blocking keep-alive connection; answers with Content-Length only. */
static int
request(int fd, const char* method, const char* path, const char* body, struct response* out)
{
  char head[1024];
  size_t blen = body ? strlen(body) : 0;
  int hl = snprintf(head, sizeof(head),
                    "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%sContent-Type: application/json\r\n"
                    "Content-Length: %zu\r\n\r\n",
                    method, path, host, port, auth, blen);
  if (send_all(fd, head, (size_t) hl) < 0 || (blen && send_all(fd, body, blen) < 0))
    return -1;
  static char buf[32768];
  size_t len = 0;
  char* end = NULL;
  while (!end) {
    ssize_t r = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
    if (r <= 0)
      return -1;
    len += (size_t) r;
    buf[len] = '\0';
    end = strstr(buf, "\r\n\r\n");
  }
  out->status = 0;
  sscanf(buf, "HTTP/1.%*d %d", &out->status);
  const char* cl = strcasestr(buf, "\r\nContent-Length:");
  size_t length = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
  size_t have = len - (size_t) (end + 4 - buf);
  while (have < length) {
    if (len >= sizeof(buf) - 1)
      return -1;
    ssize_t r = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
    if (r <= 0)
      return -1;
    len += (size_t) r;
    have += (size_t) r;
  }
  size_t copy = length < sizeof(out->body) - 1 ? length : sizeof(out->body) - 1;
  memcpy(out->body, end + 4, copy);
  out->body[copy] = '\0';
  return out->status;
}

static long driver_errors = 0, missing = 0, done_iterations = 0;
static int driver_done = 0;

static void*
drive(void* arg)
{
  (void) arg;
  int fd = connect_from(NULL);
  if (fd < 0) {
    perror("sse-client: connect");
    driver_errors++;
    driver_done = 1;
    return NULL;
  }
  struct response r;
  for (long i = 0; i < warmup + iterations && !stop_requested; i++) {
    pthread_mutex_lock(&lock);
    long target = exited_total + listeners - closed_count;
    iteration_id[0] = '\0';
    iteration_last = 0;
    measuring = i >= warmup;
    pthread_mutex_unlock(&lock);
    if (request(fd, "POST", "/sandboxes", spec, &r) != 201) {
      fprintf(stderr, "sse-client: POST /sandboxes -> %d: %.300s\n", r.status, r.body);
      driver_errors++;
      break;
    }
    char id[128];
    if (json_string(r.body, "id", id, sizeof(id)) < 0) {
      fprintf(stderr, "sse-client: no id in %.300s\n", r.body);
      driver_errors++;
      break;
    }
    struct timespec limit;
    clock_gettime(CLOCK_REALTIME, &limit);
    limit.tv_sec += 10;
    pthread_mutex_lock(&lock);
    while (exited_total < target)
      if (pthread_cond_timedwait(&arrived, &lock, &limit) == ETIMEDOUT)
        break;
    if (exited_total < target)
      missing += target - exited_total;
    if (iteration_id[0] && strcmp(iteration_id, id) != 0)
      mismatched++;
    if (measuring)
      push(&last_delays, iteration_last);
    measuring = 0;
    pthread_mutex_unlock(&lock);
    char path[256];
    snprintf(path, sizeof(path), "/sandboxes/%s", id);
    if (request(fd, "DELETE", path, NULL, &r) != 204) {
      fprintf(stderr, "sse-client: DELETE %s -> %d: %.300s\n", path, r.status, r.body);
      driver_errors++;
      break;
    }
    if (i >= warmup)
      done_iterations++;
  }
  close(fd);
  pthread_mutex_lock(&lock);
  driver_done = 1;
  pthread_mutex_unlock(&lock);
  return NULL;
}

/* ------------------------------------------------------------ main */
static void
on_signal(int sig)
{
  (void) sig;
  stop_requested = 1;
}

static void
usage(const char* argv0)
{
  fprintf(stderr,
          "usage: %s -p PORT [-H HOST] -l LISTENERS [-A PER_ADDRESS] [-q QUERY]\n"
          "          (-i [-d SECONDS] | -n ITERATIONS [-w WARMUP] [-b SPEC_JSON] [-r RAW_FILE])\n",
          argv0);
  exit(2);
}

int
main(int argc, char** argv)
{
  int opt;
  if (getenv("NSD_TOKEN") && strlen(getenv("NSD_TOKEN")) < sizeof(auth) - 32)
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", getenv("NSD_TOKEN"));
  while ((opt = getopt(argc, argv, "H:p:l:A:q:id:n:w:b:r:h")) != -1) {
    switch (opt) {
      case 'H':
        host = optarg;
        break;
      case 'p':
        port = atoi(optarg);
        break;
      case 'l':
        listeners = atoi(optarg);
        break;
      case 'A':
        per_address = atoi(optarg);
        break;
      case 'q':
        query = optarg;
        break;
      case 'i':
        hold = 1;
        break;
      case 'd':
        hold_seconds = atof(optarg);
        break;
      case 'n':
        iterations = atol(optarg);
        break;
      case 'w':
        warmup = atol(optarg);
        break;
      case 'b':
        spec = optarg;
        break;
      case 'r':
        raw_out = optarg;
        break;
      default:
        usage(argv[0]);
    }
  }
  if (port <= 0 || port > 65535 || listeners < 1 || listeners > 60000 || per_address < 1 ||
      hold == (iterations > 0) || warmup < 0)
    usage(argv[0]);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  /* Listeners come from 127.0.0.2, 127.0.0.3, ... (all of 127/8 is loopback) when the server is
   * on loopback, so that no source address holds more than the server allows one client. */
  int loopback = strncmp(host, "127.", 4) == 0;
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  ls = calloc((size_t) listeners, sizeof(struct listener));
  char req[1024];
  int rl = snprintf(req, sizeof(req),
                    "GET /events%s%s HTTP/1.1\r\nHost: %s:%d\r\n%sAccept: text/event-stream\r\n\r\n",
                    query[0] ? "?" : "", query, host, port, auth);
  for (int i = 0; i < listeners; i++) {
    char source[32];
    int block = i / per_address;
    snprintf(source, sizeof(source), "127.0.%d.%d", block / 250, 2 + block % 250);
    int fd = connect_from(loopback ? source : NULL);
    if (fd < 0 || send_all(fd, req, (size_t) rl) < 0) {
      fprintf(stderr, "sse-client: listener %d (from %s): %s\n", i, loopback ? source : "-", strerror(errno));
      return 1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    ls[i].fd = fd;
    ls[i].phase = HEAD;
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = &ls[i] };
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
  }

  struct epoll_event evs[256];
  double ready_by = monotonic_s() + 30;
  while (ready_count + closed_count < listeners && monotonic_s() < ready_by && !stop_requested) {
    int n = epoll_wait(epfd, evs, 256, 200);
    for (int k = 0; k < n; k++)
      read_ready(evs[k].data.ptr, epfd);
  }
  if (ready_count < listeners) {
    fprintf(stderr, "sse-client: %d of %d listeners ready (%d closed by the server)\n", ready_count,
            listeners, closed_count);
    return 1;
  }

  pthread_t driver;
  double hold_until = hold_seconds > 0 ? monotonic_s() + hold_seconds : 0;
  if (hold) {
    printf("SSE_READY listeners=%d\n", listeners);
    fflush(stdout);
  } else if (pthread_create(&driver, NULL, drive, NULL) != 0) {
    perror("sse-client: pthread_create");
    return 2;
  }
  for (;;) {
    if (stop_requested || (hold_until > 0 && monotonic_s() >= hold_until))
      break;
    if (!hold) {
      pthread_mutex_lock(&lock);
      int finished = driver_done;
      pthread_mutex_unlock(&lock);
      if (finished)
        break;
    }
    int n = epoll_wait(epfd, evs, 256, 100);
    for (int k = 0; k < n; k++)
      read_ready(evs[k].data.ptr, epfd);
  }

  if (hold) {
    long lo = -1, hi = 0;
    for (int i = 0; i < listeners; i++) {
      if (lo < 0 || ls[i].exited < lo)
        lo = ls[i].exited;
      if (ls[i].exited > hi)
        hi = ls[i].exited;
    }
    printf("SSE_HOLD listeners=%d closed=%d events=%ld exited_min=%ld exited_max=%ld\n", listeners,
           closed_count, event_count, lo, hi);
    return closed_count ? 1 : 0;
  }
  pthread_join(driver, NULL);
  if (raw_out) {
    FILE* f = fopen(raw_out, "a");
    if (f) {
      for (long i = 0; i < delays.n; i++)
        fprintf(f, "%.1f\n", delays.v[i]);
      fclose(f);
    }
  }
  qsort(delays.v, (size_t) delays.n, sizeof(double), cmp_double);
  qsort(last_delays.v, (size_t) last_delays.n, sizeof(double), cmp_double);
  double sum = 0;
  for (long i = 0; i < delays.n; i++)
    sum += delays.v[i];
  printf(
    "FANOUT_RESULT listeners=%d iterations=%ld samples=%ld missing=%ld mismatched=%ld closed=%d errors=%ld "
    "mean_us=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f last_p50_us=%.1f last_p99_us=%.1f\n",
    listeners, done_iterations, delays.n, missing, mismatched, closed_count, driver_errors,
    delays.n ? sum / delays.n : 0, rank(&delays, 0.5), rank(&delays, 0.99),
    delays.n ? delays.v[delays.n - 1] : 0, rank(&last_delays, 0.5), rank(&last_delays, 0.99));
  return (driver_errors || missing || mismatched || closed_count) ? 1 : 0;
}
