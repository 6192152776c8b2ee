"""The plugin on PostgreSQL: `-n 2` vs serial on the synthetic N=200 project.

    python benchmarks/postgres.py [--models 200] [--runs 3]

Needs a PostgreSQL server (PLANALIGN_PG_* env vars, default 127.0.0.1:5432 as postgres)
and dbt-postgres. Alternates `dbt build --target postgres` (the floor), the plugin
serially and the plugin with `-n 2`, on one schema built once beforehand.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from _common import summary, write_results
from run import DBT, measure
from synth import generate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("PLANALIGN_PG_SCHEMA", "planalign_bench")
    project = Path(tempfile.mkdtemp(prefix="bench-pg-")) / "synth"
    generate(args.models, project)
    measure([DBT, "build", "--target", "postgres"], project)  # warm-up: tables exist
    plugin = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project),
              "--dbt-project-dir", str(project), "--dbt-select", "*", "--dbt-target", "postgres"]
    contenders = {
        "dbt build --target postgres": [DBT, "build", "--target", "postgres"],
        "pytest --dbt-select '*' (serial)": [*plugin, "-p", "no:xdist"],
        "pytest --dbt-select '*' -n 2": [*plugin, "-n", "2"],
    }
    samples: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(args.runs):
        for name, cmd in contenders.items():
            cwd = project if cmd[0] == DBT else project.parent  # dbt finds profiles.yml in its cwd
            samples[name].append(measure(cmd, cwd)[0])
    floor = statistics.median(samples["dbt build --target postgres"])
    serial = statistics.median(samples["pytest --dbt-select '*' (serial)"])
    lines = [f"synthetic N={args.models} on the local PostgreSQL.", "",
             "| command | wall | ratio to dbt build | ratio to serial plugin |", "|---|---|---|---|"]
    for name in contenders:
        med = statistics.median(samples[name])
        lines.append(f"| `{name}` | {summary(samples[name])} | {med / floor:.2f}x | {med / serial:.2f}x |")
    write_results("postgres.md", f"python benchmarks/postgres.py --models {args.models} --runs {args.runs}",
                  args.runs, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
