#!/usr/bin/env python3
"""bench/charts.py: SVG charts of ordercore-bench's JSON results (Google Benchmark's
--benchmark_out format), for docs/performance.md: one horizontal bar chart per group of
benchmarks (the name before its first '/', with the ones compared beside each other put
together: oc_ring_burst with ck_ring_spsc and rte_ring_sp_sc_burst, and so on), the length each one's items a second.
Aggregates (repetitions) are read as their median. Standard library only.

Usage: bench/charts.py BENCH_JSON OUT_DIR
"""
import html
import json
import os
import sys

# Families drawn on one chart, so that a baseline stands beside what it is compared with.
GROUPS = {
    "rings across cores": ["oc_ring_burst", "ck_ring_spsc", "rte_ring_sp_sc_burst"],
    "rings on one thread": ["oc_ring_same_thread", "ck_ring_spsc_same_thread",
                            "rte_ring_sp_sc_same_thread"],
    "hash map lookups": ["oc_u64map_lookup", "ck_ht_lookup", "oc_u64map_miss"],
    "hash map inserts": ["oc_u64map_insert"],
    "inventory shard": ["oc_shard_reserve_release", "oc_shard_reserve_release_limited"],
    "protocol codec": ["oc_proto_place", "oc_proto_answer"],
    "fulfilment planning": ["oc_route_plan"],
    "rate shopping": ["oc_carriers_shop"],
}
COLORS = {0: "#2563eb", 1: "#dc2626", 2: "#16a34a"}


def family(name):
    return name.split("/")[0]


def rates(path):
    """Items a second by benchmark name (a repetition's median when there are several)."""
    with open(path) as f:
        runs = json.load(f)["benchmarks"]
    out = {}
    for r in runs:
        if "items_per_second" not in r:
            continue
        if r.get("run_type") == "aggregate":
            if r.get("aggregate_name") != "median":
                continue
            name = r["run_name"]
        elif any(x.get("run_type") == "aggregate" for x in runs):
            continue  # the repetitions' median stands for them
        else:
            name = r["name"]
        out[name.replace("/real_time", "")] = r["items_per_second"]
    return out


def argument(name):
    """A benchmark's argument as a number (0 when it has none), to order 8 before 32."""
    tail = name.split("/")[1:]
    return int(tail[0]) if tail and tail[0].isdigit() else 0


def human(v):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= div:
            return "%.3g%s/s" % (v / div, unit)
    return "%.3g/s" % v


def chart(title, bars, path):
    """bars: [(label, value, color index)]. Writes an SVG bar chart to path."""
    left, width, bar, top = 250, 420, 20, 36
    height = top + len(bars) * bar + 16
    top_value = max(v for _, v, _ in bars) or 1
    rows = []
    for i, (label, value, c) in enumerate(bars):
        y = top + i * bar
        w = max(1.0, value / top_value * width)
        rows.append(
            '<text x="%d" y="%.1f" text-anchor="end" class="t">%s</text>'
            '<rect x="%d" y="%.1f" width="%.1f" height="%d" fill="%s"/>'
            '<text x="%.1f" y="%.1f" class="t">%s</text>'
            % (left - 8, y + 14, html.escape(label), left, y + 3, w, bar - 6, COLORS[c],
               left + w + 6, y + 14, human(value)))
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d">'
           '<style>.t{font:12px sans-serif;fill:#222}.h{font:bold 14px sans-serif}</style>'
           '<rect width="100%%" height="100%%" fill="#fff"/>'
           '<text x="10" y="20" class="h">%s (items a second)</text>%s</svg>\n'
           % (left + width + 90, height, left + width + 90, height, html.escape(title),
              "".join(rows)))
    with open(path, "w") as f:
        f.write(svg)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    found = rates(sys.argv[1])
    os.makedirs(sys.argv[2], exist_ok=True)
    for title, families in GROUPS.items():
        mine = [name for name in found if family(name) in families]
        mine.sort(key=lambda name: (families.index(family(name)), argument(name)))
        bars = [(name, found[name], families.index(family(name))) for name in mine]
        if not bars:
            continue
        path = os.path.join(sys.argv[2], title.replace(" ", "_") + ".svg")
        chart(title, bars, path)
        print(path)


if __name__ == "__main__":
    main()
