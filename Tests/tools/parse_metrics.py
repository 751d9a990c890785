"""Parses Prometheus text exposition from the file named on the command line with prometheus_client's own parser and prints
the samples as JSON: [{"name", "labels", "value"}], so tests check numbers, not text."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = []
with open(sys.argv[1], encoding="utf-8") as exposition:
    text = exposition.read()
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        samples.append({"family": family.name, "type": family.type, "name": sample.name,
                        "labels": sample.labels, "value": sample.value})
json.dump(samples, sys.stdout)
