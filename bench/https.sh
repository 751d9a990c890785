#!/usr/bin/env bash
# bench/https.sh — the HTTPS figures behind `make bench-https` (which builds the release binary and
# bench/out/mhd-tls-bare first).
#
# Makes a CA and a P-256 server certificate with openssl, starts namespaced with --tls-cert/--tls-key
# and a token, and the bare libmicrohttpd HTTPS server (bench/mhd-tls-bare.c) with the same
# certificate and threads, then measures with wrk (64 connections, best of ROUNDS runs of SECONDS s):
#   keep-alive    HTTPS GET /healthz, connections reused
#   handshakes    HTTPS GET /healthz with "Connection: close": one full TLS handshake per request
#   token check   plain HTTP GET /version on loopback, --no-auth vs a bearer token (what the check costs)
# and prints one Markdown table. Everything started here is stopped on exit.
#
# Environment (optional): BIN (.build/release/namespaced), THREADS (nproc), ROUNDS (3), SECONDS_EACH (4).
set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BIN=${BIN:-$ROOT/.build/release/namespaced}
BARE=$BENCH_DIR/out/mhd-tls-bare
THREADS=${THREADS:-$(nproc)}
ROUNDS=${ROUNDS:-3}
SECONDS_EACH=${SECONDS_EACH:-4}
CONNECTIONS=64

for tool in wrk openssl curl "$BIN" "$BARE"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "https.sh: $tool is missing (run it through make bench-https)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/nsd-bench-https.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The certificate both servers serve.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/ca.key" -out "$WORK/ca.pem" \
  -days 2 -subj "/CN=bench CA" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/server.key" -out "$WORK/server.csr" \
  -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$WORK/san.ext"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial \
  -out "$WORK/server.pem" -days 2 -extfile "$WORK/san.ext" 2>/dev/null
chmod 600 "$WORK/server.key"
head -c 32 /dev/urandom | base64 | tr -d '=+/\n' > "$WORK/token"
chmod 600 "$WORK/token"
TOKEN=$(cat "$WORK/token")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start NAME URL COMMAND...: runs COMMAND in the background and waits until URL answers.
start() {
  local name=$1 url=$2
  shift 2
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    curl -s -o /dev/null --cacert "$WORK/ca.pem" "$url" && return 0
    sleep 0.1
  done
  echo "https.sh: $name did not start:" >&2
  cat "$WORK/$name.log" >&2
  exit 1
}

# best URL [wrk options...]: the best req/s of ROUNDS wrk runs.
best() {
  local url=$1 best=0 rate
  shift
  for _ in $(seq "$ROUNDS"); do
    rate=$(timeout $((SECONDS_EACH + 30)) wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" "$@" "$url" 2>/dev/null \
      | awk '/^Requests\/sec:/ { printf "%d", $2 }')
    [[ -n "$rate" && "$rate" -gt "$best" ]] && best=$rate
  done
  echo "$best"
}

OURS=$(free_port); BARE_PORT=$(free_port); NOAUTH=$(free_port); PLAIN=$(free_port)
start ours "https://localhost:$OURS/healthz" "$BIN" --listen "127.0.0.1:$OURS" --state-dir "$WORK/ours" \
  --tls-cert "$WORK/server.pem" --tls-key "$WORK/server.key" --token-file "$WORK/token" --threads "$THREADS" \
  --durability none
start bare "https://localhost:$BARE_PORT/healthz" "$BARE" "$BARE_PORT" "$THREADS" "$WORK/server.pem" "$WORK/server.key"
start noauth "http://127.0.0.1:$NOAUTH/healthz" "$BIN" --listen "127.0.0.1:$NOAUTH" --state-dir "$WORK/noauth" \
  --no-auth --threads "$THREADS" --durability none
start token "http://127.0.0.1:$PLAIN/healthz" "$BIN" --listen "127.0.0.1:$PLAIN" --state-dir "$WORK/token-server" \
  --token-file "$WORK/token" --threads "$THREADS" --durability none

# The same bytes from both: status line, headers but Date, body.
same() { curl -s -i --cacert "$WORK/ca.pem" "$1" | grep -v '^Date:'; }
if [[ "$(same "https://localhost:$OURS/healthz")" != "$(same "https://localhost:$BARE_PORT/healthz")" ]]; then
  echo "https.sh: the bare server's /healthz differs from namespaced's; fix bench/mhd-tls-bare.c" >&2
  exit 1
fi
[[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PLAIN/version")" == 200 ]] \
  || { echo "https.sh: the token server refuses the token" >&2; exit 1; }

keep_ours=$(best "https://127.0.0.1:$OURS/healthz")
keep_bare=$(best "https://127.0.0.1:$BARE_PORT/healthz")
shake_ours=$(best "https://127.0.0.1:$OURS/healthz" -H "Connection: close")
shake_bare=$(best "https://127.0.0.1:$BARE_PORT/healthz" -H "Connection: close")
plain_noauth=$(best "http://127.0.0.1:$NOAUTH/version")
plain_token=$(best "http://127.0.0.1:$PLAIN/version" -H "Authorization: Bearer $TOKEN")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
cat <<TABLE
HTTPS on $(nproc) cores, $THREADS server threads, wrk -t2 -c$CONNECTIONS, best of $ROUNDS x ${SECONDS_EACH}s, P-256 certificate

| figure | namespaced | reference | ratio |
|---|---:|---:|---:|
| HTTPS GET /healthz keep-alive (req/s) | $keep_ours | $keep_bare (mhd-tls-bare) | $(ratio "$keep_ours" "$keep_bare") |
| HTTPS full handshakes, Connection: close (req/s) | $shake_ours | $shake_bare (mhd-tls-bare) | $(ratio "$shake_ours" "$shake_bare") |
| HTTP GET /version with a bearer token (req/s) | $plain_token | $plain_noauth (--no-auth) | $(ratio "$plain_token" "$plain_noauth") |
TABLE
