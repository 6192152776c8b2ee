"""pytest-xdist against serial runs, on example_project.

    python benchmarks/xdist.py [--runs 3]

1. Collected items (`--dbt-select '*'`, one shared dbt build): `-n 2` vs `-p no:xdist`.
2. Scenario matrix (4 scenarios x 3 simulated years, each in its own DuckDB file):
   `-n 2` vs `-p no:xdist`.
Each pair alternates (A B A B ...) on fresh copies; prints medians and ratios.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, fresh_example, summary, write_results

SCENARIOS = ROOT / "tests" / "plugin" / "scenarios" / "test_workforce_scenarios.py"


def run(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}")
    return elapsed


def workload(kind: str, mode: list[str]) -> float:
    project = fresh_example()
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *mode,
            "--dbt-project-dir", str(project)]
    if kind == "items":
        # Seeds and 2025 exist first, as in a CI gate on a built project.
        run(base[:3] + ["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--dbt-project-dir", str(project),
                        "--dbt-select", "*", "--dbt-simulation-year", "2025", str(project)], project.parent)
        return run([*base, "--dbt-select", "*", "--dbt-simulation-year", "2025", str(project)], project.parent)
    test = project.parent / SCENARIOS.name
    shutil.copy(SCENARIOS, test)
    return run([*base, str(test)], project.parent)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    modes = {"serial (-p no:xdist)": ["-p", "no:xdist"], "-n 2": ["-n", "2"]}
    lines = ["| workload | serial | -n 2 | -n 2 / serial |", "|---|---|---|---|"]
    for kind, label in (("items", "collected items, `--dbt-select '*'` (35 nodes)"),
                        ("scenarios", "scenario matrix, 4 scenarios x 3 years")):
        samples: dict[str, list[float]] = {m: [] for m in modes}
        for _ in range(args.runs):
            for name, mode in modes.items():
                samples[name].append(workload(kind, mode))
        serial, parallel = (statistics.median(samples[m]) for m in modes)
        lines.append(f"| {label} | {summary(samples['serial (-p no:xdist)'])} | {summary(samples['-n 2'])} "
                     f"| {parallel / serial:.2f}x |")
    write_results("xdist.md", f"python benchmarks/xdist.py --runs {args.runs}", args.runs, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
