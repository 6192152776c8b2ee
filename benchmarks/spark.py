"""The plugin on Apache Spark (dbt-spark, ``method: session``, or ``--cluster``: a standalone
cluster over its Thrift server): `dbt build` against the plugin, serially and with `-n 2`, at a
small and a larger size; the scenario matrix serial vs `-n 2`.

    python benchmarks/spark.py [--models 50] [--runs 1] [--cluster]

``--cluster`` starts a local standalone cluster from pyspark's jars (tests/helpers/spark_cluster.py:
a master, two workers of one core and 1 GB, the Thrift server) for the run, and stops it after;
every command talks to it (``method: thrift``). Writes ``benchmarks/results/spark_cluster.md``.

Needs the ``spark`` extra (dbt-spark[session], pyspark) and Java 17. Sizes: tests/projects/sparkly
(14 nodes, red: a compile error, runtime and analysis errors, a failing test) and the synthetic
project of benchmarks/synth.py with a Spark target (``--models`` models, two tests each). Each
command runs in a fresh process on the same copy, after one warm-up `dbt build` (tables exist).
Writes ``benchmarks/results/spark.md``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, summary, write_results
from run import DBT, ENV
from synth import generate

SPARKLY = ROOT / "tests" / "projects" / "sparkly"
SPARK_TARGET = (
    "    spark:\n      type: spark\n      method: session\n      host: NA\n      schema: synth\n"
    "      threads: 4\n      server_side_parameters:\n        \"spark.ui.enabled\": \"false\"\n"
    "        \"spark.sql.shuffle.partitions\": \"2\"\n"
)
THRIFT_TARGET = (
    "    thrift:\n      type: spark\n      method: thrift\n      host: 127.0.0.1\n"
    "      port: \"{{ env_var('PLANALIGN_SPARK_THRIFT_PORT') | int }}\"\n      user: bench\n      schema: synth\n"
    "      threads: 4\n"
)
SCENARIOS = """
import pytest

@pytest.mark.parametrize("name", ["north", "south", "east", "west"])
def test_scenario(dbt_scenario, name):
    dbt = dbt_scenario(name)
    assert dbt.build("+daily").success
    assert len(dbt.rows("daily")) == 3
"""


def projects(models: int, target: str = "spark") -> dict[str, tuple[Path, list[str]]]:
    """(project copy, extra dbt args) per size; ``target``: spark (a session) or thrift (a cluster)."""
    work = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    small = work / "sparkly"
    shutil.copytree(SPARKLY, small)
    large = work / "synth"
    generate(models, large)
    with (large / "profiles.yml").open("a") as profiles:
        profiles.write(SPARK_TARGET if target == "spark" else THRIFT_TARGET)
    return {"sparkly (14 nodes)": (small, [] if target == "spark" else ["--target", "thrift"]),
            f"synthetic N={models} ({models * 3 + 2} nodes)": (large, ["--target", target])}


def measure(cmd: list[str], cwd: Path) -> float:
    """Wall seconds of ``cmd`` in a fresh process; exit code 1 is expected on sparkly (it is red)."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - started


def plugin(project: Path, dbt_args: list[str], *extra: str) -> list[str]:
    target = ["--dbt-target", dbt_args[1]] if dbt_args else []
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project),
            "--dbt-project-dir", str(project), "--dbt-select", "*", *target, *extra]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--cluster", action="store_true", help="a local standalone cluster over Thrift")
    args = parser.parse_args()
    if args.cluster:
        sys.path.insert(0, str(ROOT))
        from tests.helpers.spark_cluster import SparkCluster

        cluster = SparkCluster(Path(tempfile.mkdtemp(prefix="bench-spark-cluster-"))).start()
        ENV["PLANALIGN_SPARK_THRIFT_PORT"] = str(cluster.thrift_port)
        try:
            run_all(args, "thrift")
        finally:
            cluster.stop()
    else:
        run_all(args, "spark")


def run_all(args: argparse.Namespace, target: str) -> None:
    started = time.perf_counter()
    rows = ["| project | command | wall | ratio to `dbt build` |", "|---|---|---|---|"]
    for label, (project, dbt_args) in projects(args.models, target).items():
        measure([DBT, "build", *dbt_args], project)  # warm-up: the tables exist, as for the others
        contenders = {
            f"dbt build {' '.join(dbt_args)}".strip(): ([DBT, "build", *dbt_args], project),
            "pytest --dbt-select '*' (serial)": (plugin(project, dbt_args, "-p", "no:xdist"), project.parent),
            "pytest --dbt-select '*' -n 2": (plugin(project, dbt_args, "-n", "2"), project.parent),
        }
        samples: dict[str, list[float]] = {k: [] for k in contenders}
        for _ in range(args.runs):
            for name, (cmd, cwd) in contenders.items():
                samples[name].append(measure(cmd, cwd))
        floor = statistics.median(next(iter(samples.values())))
        for name, values in samples.items():
            rows.append(f"| {label} | `{name}` | {summary(values)} | {statistics.median(values) / floor:.2f}x |")
    matrix = _scenarios(args.runs, target)
    body = "\n".join(rows) + "\n\n" + matrix
    cluster = " --cluster" if target == "thrift" else ""
    write_results("spark_cluster.md" if cluster else "spark.md",
                  f"python benchmarks/spark.py --models {args.models} --runs {args.runs}{cluster}",
                  args.runs, body, time.perf_counter() - started)


def _scenarios(runs: int, target: str) -> str:
    """Four scenarios on sparkly (each `build +daily` in a schema of its own): serial vs -n 2."""
    work = Path(tempfile.mkdtemp(prefix="bench-spark-scenarios-"))
    shutil.copytree(SPARKLY, work / "sparkly")
    (work / "test_scenarios.py").write_text(SCENARIOS)
    (work / "pytest.ini").write_text("[pytest]\n")
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_scenarios.py",
            "--dbt-project-dir", "sparkly", *(["--dbt-target", "thrift"] if target == "thrift" else [])]
    samples: dict[str, list[float]] = {"serial": [], "-n 2": []}
    for _ in range(runs):
        samples["serial"].append(measure([*base, "-p", "no:xdist"], work))
        samples["-n 2"].append(measure([*base, "-n", "2"], work))
    serial = statistics.median(samples["serial"])
    lines = ["| scenario matrix (4 scenarios on sparkly, each `build +daily`) | wall | ratio to serial |",
             "|---|---|---|"]
    for name, values in samples.items():
        lines.append(f"| {name} | {summary(values)} | {statistics.median(values) / serial:.2f}x |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
