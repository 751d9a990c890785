"""Checks that deploy/prometheus-kubernetes.yml scrapes what deploy/daemonset.yaml offers: the
pods' label, the prometheus.io annotations, the container port, the scheme and the path.

usage: check_scrape_job.py SCRAPE_JOB_FILE DAEMONSET_FILE"""
import re
import sys

import yaml

job_file, daemonset_file = sys.argv[1:3]
problems = []
jobs = yaml.safe_load(open(job_file, encoding="utf-8"))["scrape_configs"]
daemonset = yaml.safe_load(open(daemonset_file, encoding="utf-8"))
template = daemonset["spec"]["template"]
annotations = template["metadata"]["annotations"]
container = template["spec"]["containers"][0]
ports = {port["containerPort"] for port in container.get("ports", [])}
if annotations.get("prometheus.io/scrape") != "true":
    problems.append("the DaemonSet's pods are not annotated for scraping")
if int(annotations.get("prometheus.io/port", 0)) not in ports:
    problems.append("the prometheus.io/port annotation is not a container port")
if annotations.get("prometheus.io/path") != "/metrics":
    problems.append("the prometheus.io/path annotation is not /metrics")
for probe in ("readinessProbe", "livenessProbe"):
    if container.get(probe, {}).get("httpGet", {}).get("path") != "/healthz":
        problems.append(f"{probe} does not ask /healthz")
if "requests" not in container.get("resources", {}):
    problems.append("no resource requests")
for job in jobs:
    name = job.get("job_name", "?")
    if not job.get("kubernetes_sd_configs"):
        problems.append(f"{name}: no kubernetes_sd_configs")
    if job.get("scheme", "http") != annotations.get("prometheus.io/scheme", "http"):
        problems.append(f"{name}: scheme differs from the pods' annotation")
    if "credentials_file" not in job.get("authorization", {}):
        problems.append(f"{name}: no token (/metrics needs the read scope)")
    rules = job.get("relabel_configs", [])
    keeps = {tuple(rule["source_labels"]): rule.get("regex") for rule in rules if rule.get("action") == "keep"}
    app = template["metadata"]["labels"]["app"]
    if keeps.get(("__meta_kubernetes_pod_label_app",)) != app:
        problems.append(f"{name}: does not keep pods labelled app={app}")
    address = [rule for rule in rules if rule.get("target_label") == "__address__"]
    if not address:
        problems.append(f"{name}: the port annotation does not set the address")
    else:
        rule = address[0]
        joined = "podip:1234;" + annotations["prometheus.io/port"]
        rewritten = re.sub("^(?:" + rule["regex"] + ")$", rule["replacement"].replace("$", "\\"), joined)
        if rewritten != "podip:" + annotations["prometheus.io/port"]:
            problems.append(f"{name}: the address rewrite gives {rewritten}")
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
