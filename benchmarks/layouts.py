"""The plugin's overhead on projects as people lay them out: a table per layout.

    python benchmarks/layouts.py [--runs 3] [PROJECT_DIR[@TARGET] ...]

For each dbt project (default: tests/projects/monorepo's integration project, whose package is a
``local: ../`` symlink to its parent; pass the integration-test dirs of public packages too, with
``dbt deps`` run), alternating fresh processes after one warm-up of each:
``dbt build`` vs ``pytest --dbt-select '*'`` run in the project dir, and a warm ``dbt ls``
vs a warm ``pytest --dbt-select '*' --collect-only`` (the listing kept in pytest's cache).
The project's own profiles.yml is used (DBT_PROFILES_DIR, else the project dir). Each run must
exit 0. Writes benchmarks/results/layouts.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, timed, write_results

MONOREPO = ROOT / "tests" / "projects" / "monorepo"


def _monorepo() -> Path:
    root = Path(tempfile.mkdtemp(prefix="bench-layout-")) / "monorepo"
    shutil.copytree(MONOREPO, root, ignore=shutil.ignore_patterns("dbt_packages", "*.duckdb"))
    project = root / "integration_tests"
    _run([_dbt(), "deps"], project)
    return project


def _dbt() -> str:
    return str(Path(sys.executable).parent / "dbt")


def _run(cmd: list[str], cwd: Path) -> float:
    """``timed``, with the project's own profiles.yml unless DBT_PROFILES_DIR says otherwise."""
    return timed(cmd, cwd, {"DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(cwd))})


def measure(project: Path, runs: int, target: list[str]) -> str:
    plugin = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--dbt-project-dir=.",
              "--dbt-select=*", "--dbt-threads=1", *[f"--dbt-target={t}" for t in target[1:]]]
    contenders = {
        "dbt build --threads 1": [_dbt(), "build", "--threads", "1", *target],
        "pytest --dbt-select '*'": plugin,
        "dbt ls (warm)": [_dbt(), "ls", "-q", *target],
        "pytest --collect-only (warm)": [*plugin, "--collect-only"],
    }
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for cmd in contenders.values():
        _run(cmd, project)  # warm-up: parse kept, listing kept, tables built
    for _ in range(runs):
        for name, cmd in contenders.items():
            samples[name].append(_run(cmd, project))
    med = {name: statistics.median(values) for name, values in samples.items()}
    rows = [f"| {name} | {med[name]:.2f} s | {min(samples[name]):.2f}-{max(samples[name]):.2f} s |"
            for name in contenders]
    ratio_build = med["pytest --dbt-select '*'"] / med["dbt build --threads 1"]
    ratio_ls = med["pytest --collect-only (warm)"] / med["dbt ls (warm)"]
    return "\n".join([f"### {project}", "", "| command | median | range |", "|---|---|---|", *rows, "",
                      f"plugin / dbt build: {ratio_build:.2f}x; warm collection / warm dbt ls: {ratio_ls:.2f}x", ""])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("projects", nargs="*",
                        help="a project dir, @TARGET for a profile target; 'monorepo' for ours (the default)")
    args = parser.parse_args()
    started = time.perf_counter()
    projects = [(_monorepo() if p == "monorepo" else Path(p.partition("@")[0]).resolve(), p.partition("@")[2])
                for p in args.projects or ["monorepo"]]
    tables = [measure(path, args.runs, ["--target", target] if target else []) for path, target in projects]
    command = "python benchmarks/layouts.py " + " ".join(sys.argv[1:])
    write_results("layouts.md", command.strip(), args.runs, "\n".join(tables), time.perf_counter() - started)


if __name__ == "__main__":
    main()
