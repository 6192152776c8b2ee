"""The cyclic collector during an in-process `dbt build`, with and without FrozenHeap.

    python benchmarks/gc_build.py [--sizes 50 200 500] [--runs 3]

For each N a synthetic project (benchmarks/synth.py) is generated and built once by the
CLI (its partial parse saved); then, alternating run by run, a fresh process builds it
through `DbtRunner.execute_command(["build"])`, once as the runner does it (what is alive
when the call starts, and the parse once in memory, frozen: runner/parse/heap.py) and once with
the freezing switched off. Each run reports its wall time, the time spent inside the
collector (`gc.callbacks`), by generation, and its peak RSS (what freezing costs in memory).

Writes benchmarks/results/gc_build.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _common import write_results
from run import DBT, ENV, measure
from synth import generate

ONE_BUILD = textwrap.dedent("""
    import gc, json, resource, sys, time
    from pytest_planalign_dbt import DbtRunner
    from pytest_planalign_dbt.runner.parse import heap
    if sys.argv[2] == "off":
        heap.FrozenHeap.__enter__ = lambda self: self
        heap.FrozenHeap.freeze_new = lambda self: None
        heap.FrozenHeap.__exit__ = lambda self, *exc: None
    spent = {0: 0.0, 1: 0.0, 2: 0.0}
    count = {0: 0, 1: 0, 2: 0}
    began = [0.0]
    def watch(phase, info):
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            spent[info["generation"]] += time.perf_counter() - began[0]
            count[info["generation"]] += 1
    gc.callbacks.append(watch)
    started = time.perf_counter()
    result = DbtRunner(sys.argv[1], profiles_dir=sys.argv[1]).execute_command(["build"], stream_output=False)
    assert result.success, result
    print(json.dumps({"wall": time.perf_counter() - started, "spent": spent, "count": count,
                      "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def one(project: Path, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", ONE_BUILD, str(project), mode], env=ENV, cwd=project,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench(n: int, runs: int) -> dict[str, list[dict]]:
    project = Path(tempfile.mkdtemp(prefix=f"gc-{n}-")) / "synth"
    generate(n, project)
    measure([DBT, "build"], project)  # built once; the CLI's partial parse saved
    samples: dict[str, list[dict]] = {"runner/parse/heap.py": [], "as Python leaves it": []}
    for _ in range(runs):
        samples["runner/parse/heap.py"].append(one(project, "on"))
        samples["as Python leaves it"].append(one(project, "off"))
    shutil.rmtree(project.parent, ignore_errors=True)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    started = time.perf_counter()
    header = ("| N models | collector | build wall (median) | in the collector (median) "
              "| full collections | gen 0 / 1 / 2 seconds | peak RSS |")
    lines = [header, "|---|---|---|---|---|---|---|"]
    for n in args.sizes:
        for name, runs in bench(n, args.runs).items():
            def med(f, runs=runs):
                return statistics.median(f(r) for r in runs)
            total = med(lambda r: sum(r["spent"].values()))
            gens = " / ".join(f"{med(lambda r, g=g: r['spent'][g]):.2f}" for g in "012")
            lines.append(f"| {n} | {name} | {med(lambda r: r['wall']):.2f} s | {total:.2f} s "
                         f"| {med(lambda r: r['count']['2']):.0f} | {gens} | {med(lambda r: r['rss']):.0f} MB |")
    write_results("gc_build.md", f"python benchmarks/gc_build.py --sizes {' '.join(map(str, args.sizes))} "
                  f"--runs {args.runs}", args.runs, "\n".join(lines) + "\n", time.perf_counter() - started)


if __name__ == "__main__":
    main()
