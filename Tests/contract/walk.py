"""A walk through every operation of the API with a client generated from api/openapi.yaml
(openapi-python-client), using its typed models only. Any exception, unexpected status or
untyped answer fails the walk. The server runs with --max-sandboxes 2 (for the 429).

usage: walk.py BASE_URL TOKEN
"""

import os
import sys

from namespaced_client import AuthenticatedClient
from namespaced_client.api.limits import get_limits
from namespaced_client.api.links import (create_namespace_link, create_sandbox_link, delete_namespace_link,
                                         delete_sandbox_link, get_namespace_link, get_sandbox_link,
                                         list_namespace_links, list_sandbox_links)
from namespaced_client.api.namespaces import (delete_held_namespace, get_namespace, get_process_namespaces,
                                              hold_namespace, list_namespaces)
from namespaced_client.api.sandboxes import (create_sandbox, delete_sandbox, exec_in_sandbox, get_sandbox,
                                             get_sandbox_logs, list_sandboxes, signal_sandbox, wait_sandbox)
from namespaced_client.api.service import get_health, get_version
from namespaced_client.models import (ExecRequest, ExecResult, Health, HeldNamespaceRequest, LimitList, Link,
                                      LinkList, LinkRequest, LinkState, Namespace, NamespaceDetail, NamespaceList,
                                      NamespaceType, OutputEncoding, Problem, ProcessNamespaces, Sandbox, SandboxList,
                                      SandboxQuotaProblem, SandboxSpec, SandboxState, SignalRequest, SpawnFailedProblem,
                                      StepName, Version)
from namespaced_client.models.labels import Labels
from namespaced_client.types import File

base, token = sys.argv[1], sys.argv[2]
client = AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True, timeout=60)


def step(name, response, status, model):
    parsed = response.parsed
    if response.status_code != status or (model is not None and not isinstance(parsed, model)):
        raise SystemExit(f"{name}: {response.status_code} {type(parsed).__name__}: {response.content[:300]!r}")
    print(f"ok  {name}: {status} {type(parsed).__name__ if model else ''}".rstrip())
    return parsed


step("getHealth", get_health.sync_detailed(client=client), 200, Health)
version = step("getVersion", get_version.sync_detailed(client=client), 200, Version)
assert version.version == "1.0.0", version.version

listed = step("listNamespaces type=net,pid", list_namespaces.sync_detailed(
    client=client, type_=[NamespaceType.NET, NamespaceType.PID]), 200, NamespaceList)
assert listed.items and all(item.type_ in (NamespaceType.NET, NamespaceType.PID) for item in listed.items)
mine = step("listNamespaces pid=self", list_namespaces.sync_detailed(client=client, pid=os.getpid()), 200, NamespaceList)
assert len(mine.items) == 8, len(mine.items)
first = listed.items[0]
detail = step("getNamespace", get_namespace.sync_detailed(first.type_, first.inode, client=client), 200, NamespaceDetail)
assert detail.inode == first.inode
process = step("getProcessNamespaces", get_process_namespaces.sync_detailed(os.getpid(), client=client), 200,
               ProcessNamespaces)
assert process.namespaces.net == next(n.inode for n in mine.items if n.type_ == NamespaceType.NET)
limits = step("getLimits", get_limits.sync_detailed(client=client), 200, LimitList)
assert len(limits.items) == 8

labels = Labels.from_dict({"walk": "yes"})
spec = SandboxSpec(command=["/bin/sh", "-c", "echo hello; echo oops >&2; exec sleep 60"], name="walk-1", labels=labels)
created = step("createSandbox", create_sandbox.sync_detailed(client=client, body=spec, idempotency_key="walk-1"), 201,
               Sandbox)
assert created.state == SandboxState.RUNNING
inodes = created.namespaces.to_dict()
assert len(inodes) == 8 and all(isinstance(value, int) for value in inodes.values()), inodes
assert created.spec.name == "walk-1" and created.spec.hostname == "walk-1"
again = step("createSandbox replayed", create_sandbox.sync_detailed(client=client, body=spec, idempotency_key="walk-1"),
             201, Sandbox)
assert again.id == created.id
got = step("getSandbox by name", get_sandbox.sync_detailed("walk-1", client=client), 200, Sandbox)
assert got.id == created.id
running = step("listSandboxes state=running label=walk=yes", list_sandboxes.sync_detailed(
    client=client, state=SandboxState.RUNNING, label=["walk=yes"]), 200, SandboxList)
assert [s.id for s in running.items] == [created.id]
resubmitted = SandboxSpec.from_dict(got.spec.to_dict())
assert resubmitted.to_dict() == got.spec.to_dict()

result = step("execInSandbox", exec_in_sandbox.sync_detailed(
    created.id, client=client, body=ExecRequest(command=["hostname"], timeout=10)), 200, ExecResult)
assert result.exit_code == 0 and result.stdout == "walk-1\n" and result.stdout_encoding == OutputEncoding.UTF_8, result
raw = step("execInSandbox binary output", exec_in_sandbox.sync_detailed(
    created.id, client=client, body=ExecRequest(command=["printf", "\\377\\000x"])), 200, ExecResult)
assert raw.stdout_encoding == OutputEncoding.BASE64 and raw.stdout == "/wB4", raw
missing = step("execInSandbox not found (422)", exec_in_sandbox.sync_detailed(
    created.id, client=client, body=ExecRequest(command=["no-such-command"])), 422, SpawnFailedProblem)
assert missing.step == StepName.EXECVE and missing.errno == 2, missing

logs = step("getSandboxLogs", get_sandbox_logs.sync_detailed(created.id, client=client), 200, File)
assert logs.payload.read() == b"hello\n"

# A veth pair to the host, link-local addresses only, a host name no one else uses; gone below.
host_name = "nsdw" + os.urandom(4).hex()
link = step("createSandboxLink", create_sandbox_link.sync_detailed(created.id, client=client, body=LinkRequest(
    name="walk0", host_name=host_name, address="169.254.214.2/30", host_address="169.254.214.1/30")), 201, Link)
assert link.host_name == host_name and "169.254.214.2/30" in link.addresses and link.state == LinkState.UP, link
links = step("listSandboxLinks", list_sandbox_links.sync_detailed(created.id, client=client), 200, LinkList)
assert [item.name for item in links.items] == ["walk0"], links
got_link = step("getSandboxLink", get_sandbox_link.sync_detailed(created.id, "walk0", client=client), 200, Link)
assert got_link.host_ifindex == link.host_ifindex
step("deleteSandboxLink", delete_sandbox_link.sync_detailed(created.id, "walk0", client=client), 204, None)
step("getSandboxLink after delete (404)", get_sandbox_link.sync_detailed(created.id, "walk0", client=client), 404,
     Problem)

# The same into a held net namespace, which keeps it until the namespace goes.
step("holdNamespace net", hold_namespace.sync_detailed(client=client, body=HeldNamespaceRequest(
    type_=NamespaceType.NET, name="walk-net")), 201, Namespace)
held_link = step("createNamespaceLink", create_namespace_link.sync_detailed("walk-net", client=client, body=LinkRequest(
    name="walk1", address="169.254.215.2/30", host_address="169.254.215.1/30")), 201, Link)
assert held_link.host_name.startswith("nsd") and "169.254.215.1/30" in held_link.host_addresses, held_link
held_links = step("listNamespaceLinks", list_namespace_links.sync_detailed("walk-net", client=client), 200, LinkList)
assert [item.host_name for item in held_links.items] == [held_link.host_name], held_links
step("getNamespaceLink", get_namespace_link.sync_detailed("walk-net", "walk1", client=client), 200, Link)
step("deleteNamespaceLink", delete_namespace_link.sync_detailed("walk-net", "walk1", client=client), 204, None)
step("deleteHeldNamespace", delete_held_namespace.sync_detailed(NamespaceType.NET, "walk-net", client=client), 204,
     None)

step("signalSandbox", signal_sandbox.sync_detailed(created.id, client=client,
                                                   body=SignalRequest(signal="SIGTERM")), 204, None)
waited = step("waitSandbox", wait_sandbox.sync_detailed(created.id, client=client, timeout=20), 200, Sandbox)
assert waited.state == SandboxState.EXITED and waited.signal == "SIGTERM", waited

failed = step("createSandbox not found (422)", create_sandbox.sync_detailed(
    client=client, body=SandboxSpec(command=["/nonexistent/command"])), 422, SpawnFailedProblem)
assert failed.step == StepName.EXECVE and "/nonexistent/command" in failed.detail, failed

sleepers = [step(f"createSandbox sleeper {i}", create_sandbox.sync_detailed(
    client=client, body=SandboxSpec(command=["sleep", "60"])), 201, Sandbox) for i in (1, 2)]
quota = step("createSandbox over --max-sandboxes (429)", create_sandbox.sync_detailed(
    client=client, body=SandboxSpec(command=["sleep", "60"])), 429, SandboxQuotaProblem)
assert quota.max_ == 2 and quota.used == 2, quota

for sandbox in [created] + sleepers:
    step(f"deleteSandbox {sandbox.id[:8]}", delete_sandbox.sync_detailed(sandbox.id, client=client), 204, None)
gone = step("getSandbox after delete (404)", get_sandbox.sync_detailed(created.id, client=client), 404, Problem)
everything = step("listSandboxes", list_sandboxes.sync_detailed(client=client), 200, SandboxList)
assert everything.items == [], everything.items
print("walk: every operation answered with its typed model")
