"""N macro checks in one test run against the same checks as `dbt show --inline` processes.

    python benchmarks/macros.py [--checks 30] [--cli-runs 5]

On a copy of example_project: each check queries ``{{ pseudo_random(<id>, 1) }}`` (the project's
macro) for another id. In-process: one DbtRunner, the first check paying the parse, the rest
reusing it; the old way: ``dbt show --inline ... --limit -1`` as a fresh process per check (as a
test suite would shell out). Both give the same rows (checked). Prints a markdown table and
writes ``benchmarks/results/macros.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import fresh_example, summary, write_results

from pytest_planalign_dbt import DbtRunner

DBT = str(Path(sys.executable).with_name("dbt"))
SQL = "select {{ pseudo_random(%d, 1) }} as draw"


def cli_check(project: Path, employee_id: int) -> tuple[float, float]:
    """One `dbt show --inline` process: its wall time and the draw it printed."""
    started = time.perf_counter()
    proc = subprocess.run([DBT, "show", "--inline", SQL % employee_id, "--limit", "-1", "--output", "json",
                           "--log-format", "json", "--no-send-anonymous-usage-stats"],
                          cwd=project, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(proc.stdout[-3000:])
    for line in proc.stdout.splitlines():
        event = json.loads(line)
        if event["info"]["name"] == "ShowNode":
            return elapsed, float(json.loads(event["data"]["preview"])[0]["draw"])
    sys.exit("dbt show printed no preview")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, default=30)
    parser.add_argument("--cli-runs", type=int, default=5)
    args = parser.parse_args()
    project = fresh_example()
    started = time.perf_counter()
    runner = DbtRunner(project)
    first_started = time.perf_counter()
    draws = [runner.query(SQL % 1)[0]["draw"]]
    first = time.perf_counter() - first_started
    samples = []
    for employee_id in range(2, args.checks + 1):
        t = time.perf_counter()
        draws.append(runner.query(SQL % employee_id)[0]["draw"])
        samples.append(time.perf_counter() - t)
    inprocess_total = time.perf_counter() - started
    cli = [cli_check(project, employee_id) for employee_id in range(1, args.cli_runs + 1)]
    assert [d for _, d in cli] == draws[: args.cli_runs], "the two ways disagree"
    cli_times = [t for t, _ in cli]
    per_call, cli_call = statistics.median(samples), statistics.median(cli_times)
    body = (
        f"| {args.checks} checks of `pseudo_random` on example_project | per check | all checks |\n"
        "|---|---|---|\n"
        f"| `dbt show --inline` subprocess per check | {summary(cli_times)} | "
        f"{cli_call * args.checks:.1f} s (estimated from {args.cli_runs}) |\n"
        f"| `dbt.query()` in-process, first check (parses the project) | {first:.3f} s | |\n"
        f"| `dbt.query()` in-process, each later check | {summary(samples)} | "
        f"{inprocess_total:.1f} s (runner created, parse and all) |\n"
        f"| ratio, a later check against a subprocess | **{per_call / cli_call:.3f}x** | "
        f"{inprocess_total / (cli_call * args.checks):.3f}x |\n"
    )
    write_results("macros.md", f"python benchmarks/macros.py --checks {args.checks} --cli-runs {args.cli_runs}",
                  len(samples), body)


if __name__ == "__main__":
    main()
