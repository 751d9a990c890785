"""schemathesis hooks of the contract run: every generated request stays harmless to the host.

Generated sandbox specs are real: the server starts them. A random argv[0] could name a host tool
(`reboot` asks the host's systemd over its socket), and a privileged sandbox creates mount targets
on the host's root. So, keeping each request exactly as valid or invalid as it was generated:
argv[0] becomes /bin/echo, and rootfs, bind sources and mount targets move under the run's scratch
directory (CONTRACT_SCRATCH), which run.sh removes afterwards.

Skipped on purpose: specs whose uid/gid mappings break a rule between members that JSON Schema
cannot state (ranges past 2^32 or overlapping, `user` ids outside the mappings). The server answers
400 naming the member; Tests/NamespaceKitTests/SpecRulesTests.swift covers each of these rules.

Generated links (POST /sandboxes/{ref}/links, /namespaces/net/{ref}/links) that could reach a running
sandbox or a held namespace change the host's interfaces: a valid `hostName` becomes `nsdc` and 8
random hex digits, and valid addresses become link-local (IPv4) or unique-local (IPv6) /30 and
/126 ones, the inside end's and the host end's different; the patterns are read from the document
itself. Every such link goes with its sandbox or held namespace, which run.sh deletes.

A valid Idempotency-Key becomes a fresh one per request. Deliberate: generated keys repeat across
unrelated requests, and a repeated key replays its first sandbox even after that one was deleted
(docs/api.md), which schemathesis reads as "created resource not found". The walk (walk.py) and
the Swift tests cover replays and mismatches.
"""

import os
import re
import uuid

import schemathesis
import yaml
from hypothesis.internal import lambda_sources

# Hypothesis names a filter's lambda in a strategy's repr by parsing the source file that holds it;
# on CPython 3.11 before 3.11.8 that parse can fail deep in a call stack with "AST constructor
# recursion depth mismatch" (CPython issue 106905), which schemathesis reports as a runtime error of
# the operation. The names are for display only.
lambda_sources.lambda_description = lambda f: "lambda"

SCRATCH = os.environ["CONTRACT_SCRATCH"]
PATH = re.compile(r"^(/|(/([^/.\x00][^/\x00]*|\.[^/.\x00][^/\x00]*|\.\.[^/\x00]+))+)$")


def valid_path(value):
    return isinstance(value, str) and len(value) <= 3800 and PATH.match(value) is not None


def harmless(body):
    command = body.get("command")
    if isinstance(command, list) and command and isinstance(command[0], str) and command[0] \
            and "\x00" not in command[0] and len(command[0].encode("utf-8", "surrogatepass")) <= 65536:
        command[0] = "/bin/echo"
    if valid_path(body.get("rootfs")) and body["rootfs"] != "/":
        body["rootfs"] = SCRATCH + "/rootfs"
    mounts = body.get("mounts")
    if isinstance(mounts, list):
        for mount in mounts:
            if not isinstance(mount, dict):
                continue
            if valid_path(mount.get("source")):
                mount["source"] = SCRATCH + "/source"
            if valid_path(mount.get("target")) and mount["target"] != "/":
                mount["target"] = SCRATCH + "/targets" + mount["target"]


KEY = re.compile(r"^[!-~]{1,255}$")

with open(os.path.join(os.path.dirname(__file__), "..", "..", "api", "openapi.yaml"), encoding="utf-8") as spec:
    SCHEMAS = yaml.safe_load(spec)["components"]["schemas"]
INTERFACE_NAME = re.compile(SCHEMAS["InterfaceName"]["pattern"])
INTERFACE_ADDRESS = re.compile(SCHEMAS["InterfaceAddress"]["pattern"])
HARMLESS_ADDRESSES = {
    "address": ("169.254.213.2/30", "fd6e:7364:6c6b::2/126"),
    "hostAddress": ("169.254.213.1/30", "fd6e:7364:6c6b::1/126"),
}


def matches(pattern, value):
    """As JSON Schema matches: Python's `$` would also match before a final newline."""
    return isinstance(value, str) and pattern.search(value) is not None and not value.endswith("\n")


def harmless_link(body):
    if matches(INTERFACE_NAME, body.get("hostName")):
        body["hostName"] = "nsdc" + uuid.uuid4().hex[:8]
    for member, (ipv4, ipv6) in HARMLESS_ADDRESSES.items():
        value = body.get(member)
        if matches(INTERFACE_ADDRESS, value):
            body[member] = ipv6 if ":" in value else ipv4


@schemathesis.hook
def map_case(context, case):
    if isinstance(case.body, dict) and case.operation.path in ("/sandboxes", "/sandboxes/{ref}/exec"):
        harmless(case.body)
    if isinstance(case.body, dict) and case.operation.path in ("/sandboxes/{ref}/links", "/namespaces/net/{ref}/links"):
        harmless_link(case.body)
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and KEY.match(headers[name]):
            headers[name] = uuid.uuid4().hex
    return case


def ranges(mappings, side):
    return sorted((m[side], m[side] + m["count"]) for m in mappings)


def mappings_break_a_cross_rule(body):
    """True when valid-looking mappings (or the user's ids) break a rule between members."""
    if not isinstance(body, dict):
        return False
    namespaces = body.get("namespaces")
    if body.get("type") != "user" and (not isinstance(namespaces, list) or "user" not in namespaces):
        return False
    default = [{"insideId": 0, "outsideId": 100000, "count": 65536}]
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    for member, id_name in (("uidMappings", "uid"), ("gidMappings", "gid")):
        mappings = body.get(member, default)
        if not isinstance(mappings, list) or not all(
                isinstance(m, dict) and all(isinstance(m.get(k), (int, float)) and not isinstance(m.get(k), bool)
                                            for k in ("insideId", "outsideId", "count")) for m in mappings):
            continue
        for side in ("insideId", "outsideId"):
            spans = ranges(mappings, side)
            if any(end > 2 ** 32 for _, end in spans) or any(b[0] < a[1] for a, b in zip(spans, spans[1:])):
                return True
        wanted = user.get(id_name, 0)
        if isinstance(wanted, (int, float)) and not any(
                m["insideId"] <= wanted < m["insideId"] + m["count"] for m in mappings):
            return True
    return False


def join_breaks_a_cross_rule(body):
    """True when `join` meets a member it rules out (SandboxSpec.join in api/openapi.yaml states
    these rules in words; SpecRulesTests and HeldNamespaceTests check the 400s)."""
    if not isinstance(body, dict) or not isinstance(body.get("join"), dict) or not body["join"]:
        return False
    joined = set(body["join"])
    namespaces = body.get("namespaces")
    if isinstance(namespaces, list) and joined & set(namespaces):
        return True
    ruled_out = {
        "mnt": ("rootfs", "mounts", "mountProc"),
        "uts": ("hostname", "domainname"),
        "user": ("uidMappings", "gidMappings"),
        "time": ("timeOffsets",),
    }
    if "mnt" in joined and body.get("privileged") is not True:
        return True
    return any(member in body for kind in joined for member in ruled_out.get(kind, ()))


@schemathesis.hook
def filter_case(context, case):
    return not (
        (case.operation.path == "/sandboxes" and join_breaks_a_cross_rule(case.body))
        or (case.operation.path in ("/sandboxes", "/namespaces") and mappings_break_a_cross_rule(case.body)))
