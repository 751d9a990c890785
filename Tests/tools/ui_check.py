"""Drives headless Chromium through the DevTools protocol: loads the dashboard with a token in
the URL fragment, waits for a sandbox row to show `running`, selects it, runs `touch /tmp/go` in it
through the exec box (the sandbox's command waits for that file), waits for the row to turn
`exited` without a reload, checks the followed log and the namespace type filters, and saves a
screenshot.

usage: ui_check.py URL SANDBOX_ID SCREENSHOT [SECONDS]
Prints one JSON object with what it saw; exits 1 when a step did not happen in time."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

url, sandbox, screenshot = sys.argv[1:4]
budget = float(sys.argv[4]) if len(sys.argv) > 4 else 30
deadline = time.monotonic() + budget
profile = tempfile.mkdtemp(prefix="nsd-chromium-")
browser = subprocess.Popen([
    "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--disable-default-apps", "--metrics-recording-only", "--password-store=basic", "--use-mock-keychain",
    # Nothing may leave this machine: every host name but the loopback address fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--window-size=1400,1000", "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank",
], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
seen = {"steps": []}


def finish(ok):
    seen["ok"] = ok
    print(json.dumps(seen))
    browser.kill()
    browser.wait()
    shutil.rmtree(profile, ignore_errors=True)
    sys.exit(0 if ok else 1)


port_file = os.path.join(profile, "DevToolsActivePort")
while not os.path.exists(port_file) or not open(port_file).read().strip():
    if time.monotonic() > deadline:
        seen["error"] = "chromium did not start"
        finish(False)
    time.sleep(0.1)
port = open(port_file).read().split()[0]
pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
page = next(p for p in pages if p["type"] == "page")
socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=budget)
counter = 0


def call(method, **params):
    global counter
    counter += 1
    socket.send(json.dumps({"id": counter, "method": method, "params": params}))
    while True:
        message = json.loads(socket.recv())
        if message.get("id") == counter:
            return message.get("result", {})


def evaluate(expression):
    result = call("Runtime.evaluate", expression=expression, returnByValue=True)
    return result.get("result", {}).get("value")


def wait_for(name, expression):
    while time.monotonic() < deadline:
        value = evaluate(expression)
        if value:
            seen["steps"].append(name)
            return value
        time.sleep(0.1)
    seen["error"] = "timed out waiting for: " + name
    seen["body"] = (evaluate("document.body && document.body.innerText") or "")[:2000]
    finish(False)


call("Page.enable")
call("Page.navigate", url=url)
row = f'document.querySelector(\'[data-sandbox="{sandbox}"]\')'
wait_for("running", f'{row} && {row}.dataset.state === "running"')
seen["live"] = wait_for("live", 'document.getElementById("connection").dataset.state === "live"')
seen["fragmentCleared"] = evaluate("location.hash === ''")
seen["tokenStored"] = evaluate("!!sessionStorage.getItem('namespaced.token')")
seen["typeCounts"] = evaluate(
    "Object.fromEntries([...document.querySelectorAll('[data-type-count]')].map(e => [e.dataset.typeCount, Number(e.textContent)]))")
seen["namespaceRows"] = evaluate("document.querySelectorAll('#namespaces [data-namespace]').length")
seen["gauges"] = evaluate("document.querySelectorAll('[data-limit]').length")
evaluate(f"{row}.click()")
wait_for("selected", f'document.getElementById("detail-title").textContent.includes("running")')
evaluate('document.getElementById("exec-command").value = "touch /tmp/go"; '
         'document.getElementById("exec").requestSubmit()')
seen["exec"] = wait_for("exec", 'document.getElementById("exec-output").textContent.includes("[exit 0]") && '
                        'document.getElementById("exec-output").textContent')
wait_for("exited", f'{row} && {row}.dataset.state === "exited"')
wait_for("logs ended", 'document.getElementById("log-state").textContent === "ended"')
seen["logs"] = evaluate('document.getElementById("logs").textContent')
shot = call("Page.captureScreenshot", format="png")
with open(screenshot, "wb") as out:
    out.write(base64.b64decode(shot["data"]))
finish(True)
