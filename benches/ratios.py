#!/usr/bin/env python3
"""Rates and ratios from criterion's saved results (run after `cargo bench --bench train`).

Usage: python3 benches/ratios.py [BASELINE]   (default `new`, i.e. the latest run;
pass a name given to `-- --save-baseline NAME` to read that run instead). Reads
$CRITERION_HOME if set, else target/criterion next to this script.

For each bench: median time, GFLOP/s (criterion's `Elements` throughput is the FLOP count),
and for `epoch/N` the ratio to `sgemm/N` of the same run (issue 4, target 1: >= 0.70) and
the time per sample relative to N = 1000 (target 2: <= 1.3 at N = 100 000).
"""
import json
import os
import pathlib
import sys

# Where criterion saved its results (criterion's own CRITERION_HOME, or target/criterion).
root = pathlib.Path(
    os.environ.get("CRITERION_HOME")
    or pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"
)
base = sys.argv[1] if len(sys.argv) > 1 else "new"


def load(group, ident):
    d = root / group / str(ident) / base
    try:
        est = json.loads((d / "estimates.json").read_text())
        meta = json.loads((d / "benchmark.json").read_text())
    except FileNotFoundError:
        return None
    ns = est["median"]["point_estimate"]
    flop = (meta.get("throughput") or {}).get("Elements")
    return ns, flop


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3f} {unit}"
    return f"{ns:.1f} ns"


def epoch_flops(h, n):
    """FLOP of one epoch of 1 -> h -> h -> 1 on n samples (see `epoch_flops` in train.rs)."""
    per_sample = 2 * (h + h * h + h) * 2 + (h + h + 1) + 2 * (h * h + h) + 2 * h + 4
    return per_sample * n + 2 * (h + h + h * h + h + h + 1)


def rate(r):
    return r[1] / r[0] if r and r[1] else None  # FLOP per ns = GFLOP/s


print("median = of one timed call; epoch = median / epochs per call")
print(f"{'bench':<16}{'median':>12}{'epoch':>12}{'GFLOP/s':>10}{'/sgemm':>9}{'ns/sample':>11}{'vs N=1000':>11}")
per_sample_1000 = None
for group in ("epoch", "epoch_par", "sgemm"):
    for n in (100, 1000, 10000, 100000):
        r = load(group, n)
        if not r:
            continue
        g = rate(r)
        epoch_ns = r[0] if group == "sgemm" else r[0] * epoch_flops(64, n) / r[1]
        shown = "" if group == "sgemm" else fmt_time(epoch_ns)
        line = f"{group + '/' + str(n):<16}{fmt_time(r[0]):>12}{shown:>12}{g:>10.1f}"
        s = rate(load("sgemm", n))
        line += f"{g / s:>9.2f}" if s and group != "sgemm" else f"{'':>9}"
        if group != "sgemm":
            per = epoch_ns / n
            if n == 1000 and group == "epoch":
                per_sample_1000 = per
            line += f"{per:>11.1f}"
            if per_sample_1000:
                line += f"{per / per_sample_1000:>11.2f}"
        print(line)
s1000 = rate(load("sgemm", 1000))
for group, ids in (("width", (16, 64, 256)), ("fit900", (1000,)), ("fit900_par", (1000,))):
    for i in ids:
        r = load(group, i)
        if not r:
            continue
        g = rate(r)
        ratio = f"{g / s1000:>9.2f}" if s1000 else ""
        epoch = fmt_time(r[0] * epoch_flops(i, 1000) / r[1]) if group == "width" else ""
        print(f"{group + '/' + str(i):<16}{fmt_time(r[0]):>12}{epoch:>12}{g:>10.1f}{ratio}")
r = load("infer", "seed")
if r:
    print(f"{'infer/seed':<16}{fmt_time(r[0]):>12}")

