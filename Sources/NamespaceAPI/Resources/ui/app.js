// The namespaced dashboard: plain JavaScript, no build step, no third-party code. Every value
// from the server is put into the page as text (textContent), never as markup.
"use strict";

const TYPES = ["user", "pid", "mnt", "uts", "ipc", "net", "cgroup", "time"];
const ui = {
  token: sessionStorage.getItem("namespaced.token") || "",
  namespaces: [],
  collapsed: new Set(),
  shownTypes: new Set(TYPES),
  sandboxes: new Map(),
  selected: null,
  lastEventId: null,
  events: null,
  logs: null,
};

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function showError(message) {
  const box = $("error");
  box.hidden = !message;
  box.textContent = message || "";
}

// The token arrives in the fragment (never sent to a server) or is typed in; it is kept for
// this tab only, and the fragment is cleared so that it does not stay in the address bar.
function takeTokenFromFragment() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return;
  ui.token = decodeURIComponent(match[1]);
  sessionStorage.setItem("namespaced.token", ui.token);
  history.replaceState(null, "", location.pathname + location.search);
}

function headers(extra) {
  const result = Object.assign({}, extra || {});
  if (ui.token) result.Authorization = "Bearer " + ui.token;
  return result;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({}, options, { headers: headers(options && options.headers) }));
  if (response.status === 401 || response.status === 403) {
    const problem = await response.json().catch(() => ({}));
    throw new Error((problem.detail || "not authorised") + " - type a token above");
  }
  if (!response.ok && response.status !== 204) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || response.status + " " + response.statusText);
  }
  return response.status === 204 ? null : response.json();
}

// A list of fixed-height rows of which only the visible ones exist in the page.
class VirtualList {
  constructor(container, render) {
    this.container = container;
    this.rowHeight = Number(container.dataset.rowHeight);
    this.spacer = container.querySelector(".spacer");
    this.rows = container.querySelector(".rows");
    this.render = render;
    this.items = [];
    container.addEventListener("scroll", () => this.draw());
  }
  setItems(items) {
    this.items = items;
    this.spacer.style.height = items.length * this.rowHeight + "px";
    this.draw();
  }
  draw() {
    const first = Math.max(0, Math.floor(this.container.scrollTop / this.rowHeight) - 5);
    const count = Math.ceil(this.container.clientHeight / this.rowHeight) + 10;
    const visible = this.items.slice(first, first + count);
    this.rows.style.transform = "translateY(" + first * this.rowHeight + "px)";
    this.rows.replaceChildren(...visible.map((item) => this.render(item)));
  }
}

// Namespaces: user namespaces by parent, every other namespace under its owner, and pid
// namespaces under their parent pid namespace when it has the same owner.
function namespaceTree() {
  const byInode = new Map(ui.namespaces.map((ns) => [ns.inode, { ns, children: [] }]));
  const roots = [];
  for (const node of byInode.values()) {
    const ns = node.ns;
    let parent = null;
    if (ns.type === "user") parent = byInode.get(ns.parent);
    else if (ns.type === "pid" && byInode.has(ns.parent) && byInode.get(ns.parent).ns.owner === ns.owner) parent = byInode.get(ns.parent);
    else parent = byInode.get(ns.owner);
    (parent && parent !== node ? parent.children : roots).push(node);
  }
  const order = (a, b) => (a.ns.type === "user") - (b.ns.type === "user") || a.ns.inode - b.ns.inode;
  const rows = [];
  const walk = (node, depth) => {
    node.children.sort(order);
    const shown = ui.shownTypes.has(node.ns.type);
    if (shown) rows.push({ node, depth });
    if (!ui.collapsed.has(node.ns.inode)) for (const child of node.children) walk(child, shown ? depth + 1 : depth);
  };
  roots.sort(order).reverse().forEach((root) => walk(root, 0));
  return rows;
}

function renderNamespace({ node, depth }) {
  const ns = node.ns;
  const row = element("div", "row");
  row.dataset.namespace = ns.inode;
  row.dataset.type = ns.type;
  row.style.paddingLeft = 6 + depth * 16 + "px";
  const toggle = element("span", "toggle", node.children.length ? (ui.collapsed.has(ns.inode) ? "▸" : "▾") : "");
  toggle.addEventListener("click", () => {
    if (ui.collapsed.has(ns.inode)) ui.collapsed.delete(ns.inode); else ui.collapsed.add(ns.inode);
    drawNamespaces();
  });
  row.append(toggle, element("span", "type", ns.type), element("span", "", ns.inode),
    element("span", "muted", (ns.command || "") + (ns.pid ? " (pid " + ns.pid + ")" : "")),
    element("span", "muted", ns.nprocs + " procs"));
  if (ns.sandbox) row.append(element("span", "muted", "sandbox " + ns.sandbox.slice(0, 12)));
  return row;
}

function drawTypeFilters() {
  const counts = {};
  for (const ns of ui.namespaces) counts[ns.type] = (counts[ns.type] || 0) + 1;
  const box = $("type-filters");
  box.replaceChildren(...TYPES.map((type) => {
    const label = element("label");
    const box = element("input");
    box.type = "checkbox";
    box.checked = ui.shownTypes.has(type);
    box.dataset.type = type;
    box.addEventListener("change", () => {
      if (box.checked) ui.shownTypes.add(type); else ui.shownTypes.delete(type);
      drawNamespaces();
    });
    const count = element("span", "count", counts[type] || 0);
    count.dataset.typeCount = type;
    label.append(box, " " + type + " ", count);
    return label;
  }));
  $("namespace-total").textContent = ui.namespaces.length + " total";
}

const namespaceList = () => ui.namespaceList || (ui.namespaceList = new VirtualList($("namespaces"), renderNamespace));
function drawNamespaces() {
  drawTypeFilters();
  namespaceList().setItems(namespaceTree());
}

async function loadNamespaces() {
  ui.namespaces = (await api("/namespaces")).items;
  drawNamespaces();
}

let namespaceReload = null;
function reloadNamespacesSoon() {
  if (namespaceReload) return;
  namespaceReload = setTimeout(() => { namespaceReload = null; loadNamespaces().catch((e) => showError(e.message)); }, 500);
}

// Sandboxes: the list once, then kept current by the event stream.
function renderSandbox(sandbox) {
  const row = element("div", "row" + (sandbox.id === ui.selected ? " selected" : ""));
  row.dataset.sandbox = sandbox.id;
  row.dataset.state = sandbox.state;
  const state = element("span", "state", sandbox.state);
  state.dataset.state = sandbox.state;
  const outcome = sandbox.state === "exited" ? (sandbox.signal ? sandbox.signal : "exit " + sandbox.exitCode) : "pid " + sandbox.pid;
  row.append(state, element("span", "", sandbox.name || sandbox.id.slice(0, 12)), element("span", "muted", outcome),
    element("span", "muted", (sandbox.spec && sandbox.spec.command || []).join(" ")));
  row.addEventListener("click", () => select(sandbox.id));
  return row;
}

const sandboxList = () => ui.sandboxList || (ui.sandboxList = new VirtualList($("sandboxes"), renderSandbox));
function drawSandboxes() {
  const filter = $("sandbox-filter").value.trim().toLowerCase();
  const items = [...ui.sandboxes.values()].filter((s) =>
    !filter || s.id.includes(filter) || (s.name || "").includes(filter) || s.state === filter);
  const running = items.filter((s) => s.state === "running").length;
  $("sandbox-total").textContent = items.length + " shown, " + running + " running";
  sandboxList().setItems(items);
}

async function loadSandboxes() {
  const items = (await api("/sandboxes")).items;
  ui.sandboxes = new Map(items.map((s) => [s.id, s]));
  drawSandboxes();
}

async function loadLimits() {
  drawLimits((await api("/limits")).items);
}

function drawLimits(items) {
  ui.limits = ui.limits || new Map();
  for (const item of items) ui.limits.set(item.type, item);
  $("limits").replaceChildren(...TYPES.filter((t) => ui.limits.has(t)).map((type) => {
    const limit = ui.limits.get(type);
    const share = limit.max > 0 ? limit.used / limit.max : 1;
    const gauge = element("div", "gauge");
    gauge.dataset.limit = type;
    gauge.dataset.level = share > 0.8 ? "high" : "normal";
    const bar = element("div", "bar");
    const fill = element("div", "fill");
    fill.style.width = Math.min(100, Math.max(share * 100, limit.used ? 1 : 0)) + "%";
    bar.append(fill);
    gauge.append(element("div", "", type + ": " + limit.used + " / " + limit.max), bar);
    return gauge;
  }));
}

// The event stream, read with fetch() because EventSource cannot send an Authorization header.
async function followEvents() {
  const status = $("connection");
  while (true) {
    const controller = new AbortController();
    ui.events = controller;
    try {
      const extra = ui.lastEventId ? { "Last-Event-ID": ui.lastEventId } : {};
      const response = await fetch("/events", { headers: headers(extra), signal: controller.signal });
      if (!response.ok) throw new Error("events: " + response.status);
      status.textContent = "live";
      status.dataset.state = "live";
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          handleFrame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (error) {
      if (error.name === "AbortError") return;
    }
    status.textContent = "reconnecting";
    status.dataset.state = "reconnecting";
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function handleFrame(frame) {
  let id = null, name = "message", data = "";
  for (const line of frame.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value; else if (field === "event") name = value; else if (field === "data") data += value;
  }
  if (id !== null) ui.lastEventId = id;
  if (!data) return;
  const body = JSON.parse(data);
  if (name === "reset") {
    refreshAll();
  } else if (name === "sandbox.created" || name === "sandbox.exited") {
    ui.sandboxes.set(body.id, body);
    drawSandboxes();
    if (body.id === ui.selected) drawDetailTitle();
  } else if (name === "sandbox.deleted") {
    ui.sandboxes.delete(body.id);
    drawSandboxes();
  } else if (name.startsWith("namespace.")) {
    reloadNamespacesSoon();
  } else if (name === "limits.changed") {
    drawLimits([body]);
  }
}

// One sandbox: its log, followed, and a one-shot exec.
function drawDetailTitle() {
  const sandbox = ui.sandboxes.get(ui.selected);
  $("detail-title").textContent = sandbox ? (sandbox.name || sandbox.id) + " - " + sandbox.state : "none selected";
}

function select(id) {
  ui.selected = id;
  drawSandboxes();
  drawDetailTitle();
  followLogs();
}

async function followLogs() {
  if (ui.logs) ui.logs.abort();
  const pane = $("logs");
  pane.textContent = "";
  if (!ui.selected) return;
  const controller = new AbortController();
  ui.logs = controller;
  const stream = document.querySelector("input[name=log-stream]:checked").value;
  $("log-state").textContent = "following";
  try {
    const response = await fetch("/sandboxes/" + encodeURIComponent(ui.selected) + "/logs?follow=true&stream=" + stream,
      { headers: headers(), signal: controller.signal });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      // The pane keeps the last 256 KiB: a chatty sandbox must not grow the page without end.
      pane.textContent = (pane.textContent + value).slice(-262144);
      pane.scrollTop = pane.scrollHeight;
    }
    $("log-state").textContent = "ended";
  } catch (error) {
    if (error.name !== "AbortError") $("log-state").textContent = error.message;
  }
}

function parseCommand(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) return JSON.parse(trimmed);
  return trimmed.split(/\s+/).filter(Boolean);
}

async function runExec(event) {
  event.preventDefault();
  const output = $("exec-output");
  if (!ui.selected) { output.textContent = "select a sandbox first"; return; }
  try {
    const result = await api("/sandboxes/" + encodeURIComponent(ui.selected) + "/exec", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ command: parseCommand($("exec-command").value) }),
    });
    output.textContent = result.stdout + (result.stderr ? "\n[stderr]\n" + result.stderr : "") +
      "\n[" + (result.signal ? "signal " + result.signal : "exit " + result.exitCode) + (result.truncated ? ", truncated" : "") + "]";
  } catch (error) {
    output.textContent = error.message;
  }
}

async function refreshAll() {
  try {
    await Promise.all([loadSandboxes(), loadNamespaces(), loadLimits()]);
    showError("");
  } catch (error) {
    showError(error.message);
  }
}

function start() {
  takeTokenFromFragment();
  $("token").value = "";
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    ui.token = $("token").value.trim();
    sessionStorage.setItem("namespaced.token", ui.token);
    $("token").value = "";
    if (ui.events) ui.events.abort();
    refreshAll().then(followEvents);
  });
  $("forget").addEventListener("click", () => { sessionStorage.removeItem("namespaced.token"); ui.token = ""; });
  $("sandbox-filter").addEventListener("input", drawSandboxes);
  $("exec").addEventListener("submit", runExec);
  for (const radio of document.querySelectorAll("input[name=log-stream]")) radio.addEventListener("change", followLogs);
  refreshAll().then(followEvents);
}

start();
