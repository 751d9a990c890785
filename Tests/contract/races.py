"""The two races a fuzzer found, as checks against a real server:

1. Concurrent creates of a command that exits at once: every sandbox has all 8 namespace inodes
   (its init reports them before the command can run), none null; and for sandboxes that keep
   running, the recorded inodes are those /proc/PID/ns shows (the oracle).
2. 200 short runs: exitedAt is never before createdAt.

usage: races.py BASE_URL TOKEN
"""

import json
import os
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

base, token = sys.argv[1], sys.argv[2]


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + token)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def create(command):
    status, body = call("POST", "/sandboxes", {"command": command})
    assert status == 201, (status, body)
    return body


def at(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


failures = []

with ThreadPoolExecutor(max_workers=4) as pool:
    made = list(pool.map(lambda _: create(["sh", "-c", "echo hi"]), range(24)))
for answered in made:
    for label, sandbox in (("201", answered), ("GET", call("GET", "/sandboxes/" + answered["id"])[1])):
        inodes = sandbox["namespaces"]
        if len(inodes) != 8 or any(not isinstance(value, int) for value in inodes.values()):
            failures.append(f"{sandbox['id']} ({label}): namespaces {inodes}")
with ThreadPoolExecutor(max_workers=4) as pool:
    sleepers = list(pool.map(lambda _: create(["sleep", "60"]), range(8)))
for sandbox in sleepers:
    for kind, inode in sandbox["namespaces"].items():
        actual = os.stat(f"/proc/{sandbox['pid']}/ns/{kind}").st_ino
        if inode != actual:
            failures.append(f"{sandbox['id']}: {kind} recorded {inode}, /proc/{sandbox['pid']}/ns/{kind} is {actual}")
made += sleepers
print(f"races: 24 concurrent creates of sh -c 'echo hi' with 8 inodes each; 8 concurrent sleepers "
      f"whose inodes match /proc/PID/ns")

with ThreadPoolExecutor(max_workers=4) as pool:
    short = list(pool.map(lambda _: create(["/bin/true"]), range(200)))
order = 0
for sandbox in short:
    status, done = call("POST", f"/sandboxes/{sandbox['id']}/wait?timeout=30")
    if status != 200 or done["state"] != "exited":
        failures.append(f"{sandbox['id']}: wait answered {status} {done}")
    elif at(done["exitedAt"]) < at(done["createdAt"]):
        order += 1
        failures.append(f"{sandbox['id']}: exitedAt {done['exitedAt']} before createdAt {done['createdAt']}")
print(f"races: 200 short runs: {200 - order} with exitedAt >= createdAt")

for sandbox in made + short:
    status, _ = call("DELETE", "/sandboxes/" + sandbox["id"])
    if status != 204:
        failures.append(f"DELETE {sandbox['id']}: {status}")

for failure in failures:
    print("FAIL " + failure)
sys.exit(1 if failures else 0)
