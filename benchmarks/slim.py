"""Slim CI: `pytest --dbt-select '*' --dbt-changed` after one mid-DAG model changed, vs the
full `pytest --dbt-select '*'`.

    python benchmarks/slim.py [--size 200] [--runs 3]

A synthetic project (benchmarks/synth.py) is built once with `--dbt-changed` (the green run
kept as the reference). Then, run by run: one model in the middle of the DAG gets a new
comment (so its checksum changes), and both contenders run as fresh processes, the full one
first (it leaves the database as the reference run did). Wall clock, medians. Writes
benchmarks/results/slim.md.
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
from run import dag_order, measure
from synth import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    project = Path(tempfile.mkdtemp(prefix=f"slim-{args.size}-")) / "synth"
    models = generate(args.size, project)
    pytest_cmd = [sys.executable, "-m", "pytest", str(project), "--dbt-project-dir", str(project),
                  "--dbt-select", "*"]
    measure([*pytest_cmd, "--dbt-changed"], project.parent)  # the green run: the reference
    order = dag_order(project, models)
    middle = project / "models" / f"{order[len(order) // 2]}.sql"
    walls: dict[str, list[float]] = {"full": [], "changed": []}
    selected = ""
    for run in range(args.runs):
        middle.write_text(middle.read_text() + f"\n-- edit {run}\n")
        walls["full"].append(measure(pytest_cmd, project.parent)[0])
        wall, _, out = measure([*pytest_cmd, "--dbt-changed", "-p", "no:randomly"], project.parent)
        walls["changed"].append(wall)
        selected = next((line for line in out.splitlines() if " changed since " in line), selected)
    full, changed = statistics.median(walls["full"]), statistics.median(walls["changed"])
    body = (
        f"| N={args.size}, one mid-DAG model (`{middle.stem}`) changed | wall (median) | ratio |\n"
        "|---|---|---|\n"
        f"| `pytest --dbt-select '*'` (everything) | {full:.1f} s | 1.00x |\n"
        f"| `pytest --dbt-select '*' --dbt-changed` | {changed:.1f} s | {changed / full:.2f}x |\n\n"
        f"The changed run said: `{selected.strip()}`\n"
    )
    shutil.rmtree(project.parent, ignore_errors=True)
    write_results("slim.md", f"python benchmarks/slim.py --size {args.size} --runs {args.runs}", args.runs, body,
                  time.perf_counter() - started)


if __name__ == "__main__":
    main()
