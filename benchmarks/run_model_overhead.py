"""Per-call time of DbtRunner.run_model: in-process vs subprocess, on example_project.

    python benchmarks/run_model_overhead.py [--runs 7]

Alternates the two executors (A B A B ...) on the same copy of the project and
prints a markdown table of medians. The model itself (int_hires) runs in ~0.1 s,
so the table is mostly per-invocation overhead.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import fresh_example, summary, write_results

from pytest_planalign_dbt import DbtRunner


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    project = fresh_example()
    runners = {
        "inprocess": DbtRunner(project, executor="inprocess"),
        "subprocess": DbtRunner(project, executor="subprocess"),
    }
    runners["inprocess"].execute_command(["build"], simulation_year=2025, stream_output=False)
    # Warm-up: the in-process runner parses once here and reuses the manifest after.
    for runner in runners.values():
        runner.run_model("int_hires", simulation_year=2025, stream_output=False)
    samples: dict[str, list[float]] = {name: [] for name in runners}
    node_time: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(args.runs):
        for name, runner in runners.items():
            started = time.perf_counter()
            result = runner.run_model("int_hires", simulation_year=2025, stream_output=False)
            samples[name].append(time.perf_counter() - started)
            node_time[name].append(result.nodes[0].execution_time)
    lines = ["`run_model('int_hires')` on example_project, after a warm-up call of each executor.", "",
             "| executor | wall per call | node SQL (median) | overhead |", "|---|---|---|---|"]
    for name in runners:
        wall, sql = statistics.median(samples[name]), statistics.median(node_time[name])
        lines.append(f"| {name} | {summary(samples[name])} | {sql:.3f} s | {wall - sql:.3f} s |")
    ratio = statistics.median(samples["inprocess"]) / statistics.median(samples["subprocess"])
    lines.append(f"\nin-process / subprocess per call: {ratio:.3f}x")
    write_results("run_model_overhead.md", f"python benchmarks/run_model_overhead.py --runs {args.runs}",
                  args.runs, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
