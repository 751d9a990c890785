#!/usr/bin/env python3
"""hold-client: POST /namespaces then DELETE it, N times over one keep-alive connection.

   hold-client.py PORT TYPE N WARMUP RAWFILE
Appends "hold MICROS", "release MICROS" and "pair MICROS" lines to RAWFILE; exits 1 on the first
unexpected status (printed on stderr). The token comes from NSD_TOKEN.
"""
import http.client
import json
import os
import sys
import time

port, kind, count, warmup, raw = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
headers = {"Authorization": "Bearer " + os.environ["NSD_TOKEN"], "Content-Type": "application/json"}
conn = http.client.HTTPConnection("127.0.0.1", port)


def call(method, path, body, expect):
    conn.request(method, path, body=body, headers=headers)
    answer = conn.getresponse()
    data = answer.read()
    if answer.status != expect:
        sys.stderr.write(f"{method} {path}: {answer.status} {data[:400]!r}\n")
        sys.exit(1)


samples = []
for i in range(warmup + count):
    name = f"bench-{os.getpid()}-{i}"
    body = json.dumps({"type": kind, "name": name})
    t0 = time.perf_counter_ns()
    call("POST", "/namespaces", body, 201)
    t1 = time.perf_counter_ns()
    call("DELETE", f"/namespaces/{kind}/{name}", None, 204)
    t2 = time.perf_counter_ns()
    if i >= warmup:
        samples.append(((t1 - t0) / 1000, (t2 - t1) / 1000, (t2 - t0) / 1000))
with open(raw, "a") as out:
    for hold, release, pair in samples:
        out.write(f"hold {hold:.1f}\nrelease {release:.1f}\npair {pair:.1f}\n")
