"""The cost of one in-process call on a project of your choice: its wall time, dbt's own task
(run_results.json's ``elapsed_time``) and the rest, outside dbt's task (invocation set-up,
graph, artifacts, the runner's own checks).

    python benchmarks/per_call.py PROJECT_DIR [--select stg_config_job_levels] [--calls 6]
        [--vars '{"simulation_year": 2025}'] [--alternate '{"simulation_year": 2026}']

One runner; a warm-up call per vars set, then ``--calls`` calls, the vars set alternating with
``--alternate`` (each call then runs on another kept parse, so manifest.json is written every
call, as dbt writes it). Prints a markdown table of medians (nothing written to results/: the
project is yours). PlanAlign's figures in the README come from its own dbt project.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from _common import machine, write_results

from pytest_planalign_dbt import DbtRunner


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("project")
    parser.add_argument("--select", default="stg_config_job_levels")
    parser.add_argument("--calls", type=int, default=6)
    parser.add_argument("--vars", default="{}")
    parser.add_argument("--alternate", default=None, help="a second vars set, alternated with --vars")
    parser.add_argument("--out", default=None, help="also write the table to benchmarks/results/OUT")
    args = parser.parse_args()
    sets = [json.loads(args.vars), *([json.loads(args.alternate)] if args.alternate else [])]
    runner = DbtRunner(args.project, threads=1)
    command = ["run", "--select", args.select]
    for dbt_vars in sets:  # warm-up: each vars set's parse kept
        runner.execute_command(command, dbt_vars=dbt_vars, stream_output=False)
    wall, task = [], []
    for i in range(args.calls):
        started = time.perf_counter()
        runner.execute_command(command, dbt_vars=sets[i % len(sets)], stream_output=False)
        wall.append(time.perf_counter() - started)
        task.append(json.loads((runner.artifacts_path / "run_results.json").read_text())["elapsed_time"])
    outside = [w - t for w, t in zip(wall, task)]
    table = (f"{args.calls} calls of `dbt {' '.join(command)}` on {Path(args.project).resolve().name}, "
             f"{'alternating two vars sets' if args.alternate else 'one vars set'}\n\n"
             "| wall per call | dbt's task | outside dbt's task |\n|---|---|---|\n"
             f"| {statistics.median(wall):.3f} s | {statistics.median(task):.3f} s | {statistics.median(outside):.3f} s |\n")
    if args.out:
        write_results(args.out, "python benchmarks/per_call.py " + " ".join(sys.argv[1:]), args.calls, table)
    else:
        print(f"{machine()}; medians\n\n{table}")


if __name__ == "__main__":
    main()
