"""The benchmark: this plugin and runner against `dbt build` and the old per-model loop.

    python benchmarks/run.py [--sizes 50 200 500] [--runs 3] [--sample 8]

For each N a synthetic project (benchmarks/synth.py) is generated and built once;
then, alternating the contenders run by run (A B C ... A B C ...), each is timed
(wall clock) with its peak RSS (the whole process tree, sampled every 50 ms):

1. `dbt build` as a CLI subprocess: the floor for the same work;
2. `pytest --dbt-select '*'` with this plugin;
3. the same with `-n 2`;
4. the old way: one `dbt run --select <model>` subprocess per model in DAG order;
   a sample of `--sample` models is timed and the per-model mean extrapolated to N
   (marked "extrapolated");
5. `DbtRunner.run_model` per model in DAG order, in one process (the new per-model
   loop, `write_json=False`); for N >= 200 a sample of 20 models: the process's set-up
   (import, the one parse, the first call) plus the mean call times the other N-1 models
   ("extrapolated");
6. a 3-year loop on example_project, one model or tag per invocation as the
   PlanAlign orchestrator does: the old way (a subprocess each) vs DbtRunner.

Writes benchmarks/results/results.md (the table) and benchmarks/results/time_vs_n.png.
Needs the `bench` extra (matplotlib, psutil).
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
import threading
import time
from pathlib import Path

import psutil
from _common import RESULTS, ROOT, fresh_example, write_results
from synth import generate

DBT = str(Path(sys.executable).parent / "dbt")
ENV = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PYTHONUNBUFFERED": "1"}

# The runner loop, in a fresh process so its wall time and peak RSS are its own.
RUNNER_LOOP = textwrap.dedent("""
    import json, sys, time
    started = time.perf_counter()
    from pytest_planalign_dbt import DbtRunner
    project, models = sys.argv[1], json.loads(sys.argv[2])
    runner = DbtRunner(project, write_json=False)
    runner.run_model(models[0], stream_output=False)  # pays the import and the one parse
    setup = time.perf_counter() - started
    calls = []
    for model in models[1:]:
        t = time.perf_counter()
        runner.run_model(model, stream_output=False)
        calls.append(time.perf_counter() - t)
    print(json.dumps({"setup": setup, "calls": calls}))
""")
YEARS = (2025, 2026, 2027)
FIRST_YEAR = [
    ["seed"], ["run", "--select", "tag:staging"], ["run", "--select", "int_baseline_workforce"],
    ["run", "--select", "int_terminations"], ["run", "--select", "int_promotions int_merit int_hires"],
    ["run", "--select", "fct_yearly_events"], ["run", "--select", "fct_workforce_snapshot"],
]
LATER_YEAR = [
    ["run", "--select", "int_baseline_workforce"], ["run", "--select", "tag:events"],
    ["run", "--select", "fct_workforce_snapshot"],
]
YEAR_LOOP = textwrap.dedent("""
    import json, sys, time
    started = time.perf_counter()
    from pytest_planalign_dbt import DbtRunner
    project, plan = sys.argv[1], json.loads(sys.argv[2])
    runner = DbtRunner(project, write_json=False)
    for year, steps in plan:
        for args in steps:
            runner.execute_command(args, simulation_year=year, stream_output=False)
    print(json.dumps({"wall": time.perf_counter() - started}))
""")


def measure(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) of the process tree, and stdout."""
    started = time.perf_counter()
    proc = psutil.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                procs = [proc, *proc.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{out[-4000:]}")
    return wall, peak, out


def dag_order(project: Path, models: list[str]) -> list[str]:
    """Models parents-first, from the manifest the warm-up build wrote."""
    names = set(models)
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    parents = {n["name"]: [p.split(".")[-1] for p in n["depends_on"]["nodes"]]
               for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in parents:
            return
        seen.add(name)
        for parent in parents[name]:
            visit(parent)
        order.append(name)

    for name in sorted(names & set(parents)):
        visit(name)
    return order


def spread_sample(models: list[str], k: int) -> list[str]:
    if k >= len(models):
        return models
    step = len(models) / k
    return [models[int(i * step)] for i in range(k)]


def bench_size(n: int, runs: int, sample: int, loops: bool = True) -> dict[str, dict[str, float | bool]]:
    project = Path(tempfile.mkdtemp(prefix=f"bench-{n}-")) / "synth"
    models = generate(n, project)
    measure([DBT, "build"], project)  # warm-up: every contender starts from a built database
    order = dag_order(project, models)
    assert sorted(order) == sorted(models)
    # With pytest's cache, as users run it: the node listing is kept after the first run.
    pytest_cmd = [sys.executable, "-m", "pytest", "-q", str(project),
                  "--dbt-project-dir", str(project), "--dbt-select", "*"]
    old_sample = spread_sample(order, sample)
    new_models = order if n < 200 else spread_sample(order, 20)
    contenders = {
        "dbt build (CLI)": lambda: measure([DBT, "build"], project)[:2],
        "pytest --dbt-select '*'": lambda: measure([*pytest_cmd, "-p", "no:xdist"], project.parent)[:2],
        "pytest --dbt-select '*' -n 2": lambda: measure([*pytest_cmd, "-n", "2"], project.parent)[:2],
        "old: dbt run --select m, per model": lambda: per_model_old(project, old_sample, n),
        "new: DbtRunner.run_model, per model": lambda: per_model_new(project, new_models, n),
    }
    if not loops:
        contenders = {k: v for k, v in contenders.items() if not k.startswith(("old", "new"))}
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in contenders}
    for _ in range(runs):
        for name, run in contenders.items():
            samples[name].append(run())
    out: dict[str, dict[str, float | bool]] = {}
    for name, values in samples.items():
        out[name] = {
            "wall": statistics.median(v[0] for v in values),
            "rss": statistics.median(v[1] for v in values),
            "extrapolated": (name.startswith("old") and len(old_sample) < n)
            or (name.startswith("new") and len(new_models) < n),
        }
    shutil.rmtree(project.parent, ignore_errors=True)
    return out


PER_CALL: dict[tuple[int, str], list[float]] = {}


def per_model_old(project: Path, models: list[str], n: int) -> tuple[float, float]:
    walls, peaks = [], []
    for model in models:
        wall, peak, _ = measure([DBT, "run", "--select", model], project)
        walls.append(wall)
        peaks.append(peak)
    PER_CALL.setdefault((n, "old"), []).extend(walls)
    return statistics.mean(walls) * n, max(peaks)


def per_model_new(project: Path, models: list[str], n: int) -> tuple[float, float]:
    """One process: its set-up (import, the one parse, the first call) + mean call x the rest."""
    _, peak, out = measure([sys.executable, "-c", RUNNER_LOOP, str(project), json.dumps(models)], project)
    data = json.loads(out.strip().splitlines()[-1])
    PER_CALL.setdefault((n, "new"), []).extend(data["calls"])
    return data["setup"] + statistics.mean(data["calls"]) * (n - 1), peak


def bench_years(runs: int) -> dict[str, float]:
    plan = [(year, FIRST_YEAR if year == YEARS[0] else LATER_YEAR) for year in YEARS]
    walls: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(runs):
        project = fresh_example()
        started = time.perf_counter()
        for year, steps in plan:
            for args in steps:
                measure([DBT, *args, "--vars", json.dumps({"simulation_year": year})], project)
        walls["old"].append(time.perf_counter() - started)
        shutil.rmtree(project.parent, ignore_errors=True)
        project = fresh_example()
        wall, _, _ = measure([sys.executable, "-c", YEAR_LOOP, str(project), json.dumps(plan)], project)
        walls["new"].append(wall)
        shutil.rmtree(project.parent, ignore_errors=True)
    return {k: statistics.median(v) for k, v in walls.items()}


def table(results: dict[int, dict[str, dict[str, float | bool]]], years: dict[str, float] | None) -> str:
    lines = [
        "| N models | contender | wall (median) | ratio to `dbt build` | peak RSS | RSS ratio |",
        "|---|---|---|---|---|---|",
    ]
    for n, rows in results.items():
        floor = rows["dbt build (CLI)"]
        for name, row in rows.items():
            mark = " (extrapolated)" if row["extrapolated"] else ""
            lines.append(
                f"| {n} | {name}{mark} | {row['wall']:.1f} s | {row['wall'] / floor['wall']:.2f}x "
                f"| {row['rss']:.0f} MB | {row['rss'] / floor['rss']:.2f}x |"
            )
    if years is None:  # --plugin-only: the plugin against dbt build, and -n 2's memory
        lines += ["", "| N models | peak RSS, `-n 2` / serial plugin run |", "|---|---|"]
        for n, rows in results.items():
            ratio = rows["pytest --dbt-select '*' -n 2"]["rss"] / rows["pytest --dbt-select '*'"]["rss"]
            lines.append(f"| {n} | {ratio:.2f}x |")
        return "\n".join(lines)
    lines += [
        "",
        "| N models | per call, old: `dbt run --select m` subprocess | per call, new: in-process `run_model` | new / old |",
        "|---|---|---|---|",
    ]
    for n in results:
        old, new = statistics.median(PER_CALL[(n, "old")]), statistics.median(PER_CALL[(n, "new")])
        lines.append(f"| {n} | {old:.2f} s | {new:.3f} s | {new / old:.3f}x |")
    return "\n".join(lines) + "\n\n" + years_table(years)


def years_table(years: dict[str, float]) -> str:
    return "\n".join([
        "| 3 simulated years on example_project (one model or tag per call) | wall (median) |",
        "|---|---|",
        f"| old: a `dbt` subprocess per call ({sum(len(s) for s in [FIRST_YEAR] + [LATER_YEAR] * 2)} calls) "
        f"| {years['old']:.1f} s |",
        f"| new: `DbtRunner` in one process, a fresh project | {years['new']:.1f} s |",
        f"| speed-up | {years['old'] / years['new']:.1f}x |",
    ])


def plot(results: dict[int, dict[str, dict[str, float | bool]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(results)
    fig, ax = plt.subplots(figsize=(8, 5))
    for name in results[sizes[0]]:
        ax.plot(sizes, [results[n][name]["wall"] for n in sizes], marker="o", label=name)
    ax.set_xlabel("models in the project (N)")
    ax.set_ylabel("wall time (s, log scale)")
    ax.set_yscale("log")
    ax.set_title("Building N models: dbt build vs this plugin vs per-model loops")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=5, help="models timed for the old per-model loop")
    parser.add_argument("--plugin-only", action="store_true",
                        help="only dbt build vs the plugin, serial and -n 2 (writes results/plugin.md)")
    parser.add_argument("--years-only", action="store_true",
                        help="only the 3-year loop on example_project (writes results/years.md)")
    args = parser.parse_args()
    started = time.perf_counter()
    sizes = " ".join(map(str, args.sizes))
    if args.plugin_only:
        results = {n: bench_size(n, args.runs, args.sample, loops=False) for n in args.sizes}
        write_results("plugin.md", f"python benchmarks/run.py --plugin-only --sizes {sizes} --runs {args.runs}",
                      args.runs, table(results, None) + "\n", time.perf_counter() - started)
        return
    if args.years_only:
        write_results("years.md", f"python benchmarks/run.py --years-only --runs {args.runs}", args.runs,
                      years_table(bench_years(args.runs)) + "\n")
        return
    results = {}
    for n in args.sizes:
        results[n] = bench_size(n, args.runs, args.sample)
        print(f"N={n} done after {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    years = bench_years(args.runs)
    write_results("results.md", f"python benchmarks/run.py --sizes {sizes} --runs {args.runs}", args.runs,
                  table(results, years) + "\n", time.perf_counter() - started)
    plot(results, RESULTS / "time_vs_n.png")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
