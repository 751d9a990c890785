"""Checks deploy/grafana-dashboard.json: the structure Grafana imports (panels with a type,
title, grid position and Prometheus targets, unique ids, no overlapping panels) and that every
metric its queries name is one the server exposes, in a scrape saved to the file given.

usage: check_deploy.py DASHBOARD METRICS_SCRAPE"""
import json
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

dashboard_path, scrape_path = sys.argv[1:3]
problems = []
dashboard = json.load(open(dashboard_path, encoding="utf-8"))
for key in ("title", "uid", "panels", "schemaVersion", "templating"):
    if key not in dashboard:
        problems.append(f"dashboard has no '{key}'")
families = set()
with open(scrape_path, encoding="utf-8") as scrape:
    for family in text_string_to_metric_families(scrape.read()):
        families.add(family.name)
        for sample in family.samples:
            families.add(sample.name)

ids = set()
cells = {}
queried = set()
for panel in dashboard.get("panels", []):
    title = panel.get("title") or f"panel {panel.get('id')}"
    for key in ("id", "type", "title", "gridPos", "targets", "datasource"):
        if key not in panel:
            problems.append(f"{title}: no '{key}'")
    if panel.get("id") in ids:
        problems.append(f"{title}: id {panel.get('id')} is not unique")
    ids.add(panel.get("id"))
    grid = panel.get("gridPos", {})
    if grid.get("x", 0) + grid.get("w", 0) > 24:
        problems.append(f"{title}: wider than the 24-column grid")
    for x in range(grid.get("x", 0), grid.get("x", 0) + grid.get("w", 0)):
        for y in range(grid.get("y", 0), grid.get("y", 0) + grid.get("h", 0)):
            if (x, y) in cells:
                problems.append(f"{title}: overlaps {cells[(x, y)]}")
                break
            cells[(x, y)] = title
    if not panel.get("targets"):
        problems.append(f"{title}: no queries")
    for target in panel.get("targets", []):
        expr = target.get("expr", "")
        if not expr or expr.count("(") != expr.count(")"):
            problems.append(f"{title}: query '{expr}' is empty or unbalanced")
        for name in re.findall(r"\b(namespaced_[a-z_]+)", expr):
            queried.add(name)
            if name not in families:
                problems.append(f"{title}: '{name}' is not a metric the server exposes")

wanted = {"namespaced_sandboxes", "namespaced_sandbox_creates_total", "namespaced_sandbox_create_duration_seconds_bucket",
          "namespaced_namespaces", "namespaced_namespace_limit_max", "namespaced_namespace_limit_used"}
for name in sorted(wanted - queried):
    problems.append(f"no panel shows {name}")
print(json.dumps({"panels": len(dashboard.get("panels", [])), "metrics": sorted(queried), "problems": problems}))
sys.exit(1 if problems else 0)
