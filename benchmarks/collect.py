"""Collection: `pytest --collect-only --dbt-select '*'` cold and warm vs `dbt ls`.

    python benchmarks/collect.py [--sizes 50 500] [--runs 3]

For each N a synthetic project (benchmarks/synth.py) is generated and listed once by the
CLI (its partial parse saved, as in a developer's checkout); then, alternating run by run,
each contender is timed as a fresh process (wall clock, peak RSS of the process tree):

1. `dbt ls --select '*'`: what the same question costs the dbt CLI;
2. the plugin's collection, cold: `--cache-clear` (no listing kept: dbt is started, lists,
   and the answer is kept);
3. the plugin's collection, warm: the listing kept by the run before (dbt is not imported).

Writes benchmarks/results/collect.md. Needs the `bench` extra (psutil).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import write_results
from run import DBT, measure
from synth import generate


DEFAULT_SIZES = [50, 500]


def bench(n: int, runs: int) -> dict[str, tuple[float, float]]:
    project = Path(tempfile.mkdtemp(prefix=f"collect-{n}-")) / "synth"
    generate(n, project)
    ls = [DBT, "ls", "--select", "*"]
    measure(ls, project)  # the CLI's own parse, saved
    collect = [sys.executable, "-m", "pytest", "--collect-only", "-q", str(project),
               "--dbt-project-dir", str(project), "--dbt-select", "*"]
    contenders = {
        "`dbt ls --select '*'`": lambda: measure(ls, project)[:2],
        "pytest --collect-only, cold (`--cache-clear`)": lambda: measure([*collect, "--cache-clear"], project.parent)[:2],
        "pytest --collect-only, warm": lambda: measure(collect, project.parent)[:2],
    }
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in contenders}
    for _ in range(runs):
        for name, run in contenders.items():
            samples[name].append(run())
    shutil.rmtree(project.parent, ignore_errors=True)
    return {name: (statistics.median(v[0] for v in values), statistics.median(v[1] for v in values))
            for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    lines = ["| N models | contender | wall (median) | ratio to `dbt ls` | peak RSS |", "|---|---|---|---|---|"]
    for n in args.sizes:
        rows = bench(n, args.runs)
        floor = rows["`dbt ls --select '*'`"][0]
        for name, (wall, rss) in rows.items():
            lines.append(f"| {n} | {name} | {wall:.2f} s | {wall / floor:.2f}x | {rss:.0f} MB |")
    # The default sizes write collect.md; others a file of their own (collect_700.md).
    name = "collect.md" if args.sizes == DEFAULT_SIZES else f"collect_{'_'.join(map(str, args.sizes))}.md"
    write_results(name, f"python benchmarks/collect.py --sizes {' '.join(map(str, args.sizes))} "
                  f"--runs {args.runs}", args.runs, "\n".join(lines) + "\n", time.perf_counter() - started)


if __name__ == "__main__":
    main()
