"""dbt test coverage: what ``--dbt-coverage`` costs, and its figures against dbt-coverage's.

    python benchmarks/coverage.py [--models 500] [--runs 3]
    python benchmarks/coverage.py --compare PROJECT_DIR

The first builds a synthetic project (benchmarks/synth.py) once, then runs
``pytest --dbt-select '*'`` with and without ``--dbt-coverage`` as fresh processes, alternating;
it reports both walls and the time the coverage step itself took (the manifest read, one dbt
call asking the adapter for every built model's columns, the counting), which the plugin prints.
Writes benchmarks/results/coverage.md.

The second builds PROJECT_DIR's copy with ``dbt build`` and ``dbt docs generate`` (in-process),
runs dbt-coverage's own computation on its catalog, and ours on the same build, model by
model. Writes benchmarks/results/coverage_vs_dbt_coverage.md.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import write_results
from synth import generate

MEASURED = re.compile(r"dbt coverage: (\d+) model\(s\) measured in ([\d.]+)s")


def timed_run(cmd: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.stdout


def cost(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    project = Path(tempfile.mkdtemp(prefix=f"coverage-{args.models}-")) / "synth"
    generate(args.models, project)
    plugin = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project),
              "--dbt-project-dir", str(project), "--dbt-select", "*"]
    contenders = {"pytest --dbt-select '*'": plugin, "pytest --dbt-select '*' --dbt-coverage": [*plugin, "--dbt-coverage"]}
    timed_run(plugin, project.parent)  # warm-up: tables built, the parse kept
    walls: dict[str, list[float]] = {name: [] for name in contenders}
    steps: list[float] = []
    models = 0
    for _ in range(args.runs):
        for name, cmd in contenders.items():
            wall, out = timed_run(cmd, project.parent)
            walls[name].append(wall)
            if (found := MEASURED.search(out)) is not None:
                models, step = int(found[1]), float(found[2])
                steps.append(step)
    off, on = (statistics.median(walls[n]) for n in contenders)
    body = "\n".join([
        f"synthetic N={args.models} ({models} models measured), fresh processes alternating after a warm-up.", "",
        "| command | wall (median) |", "|---|---|",
        *(f"| `{name}` | {statistics.median(w):.2f} s (min {min(w):.2f}, max {max(w):.2f}) |" for name, w in walls.items()),
        "", f"Difference of the medians: {on - off:+.2f} s. The coverage step itself, as the plugin times it: "
        f"{statistics.median(steps):.3f} s (median; min {min(steps):.3f}, max {max(steps):.3f}).", ""])
    write_results("coverage.md", f"python benchmarks/coverage.py --models {args.models} --runs {args.runs}",
                  args.runs, body, time.perf_counter() - started)


def compare(args: argparse.Namespace) -> None:
    from dbt_coverage import CoverageType, compute_coverage, load_files

    from pytest_planalign_dbt import DbtRunner
    from pytest_planalign_dbt.coverage_gate import warehouse_columns
    from pytest_planalign_dbt.session.coverage import measure

    source = Path(args.compare).resolve()
    project = Path(tempfile.mkdtemp(prefix="coverage-compare-")) / source.name
    shutil.copytree(source, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb", "dbt_packages"))
    runner = DbtRunner(project)
    runner.execute_command(["build"], stream_output=False, raise_on_error=False)
    runner.execute_command(["docs", "generate"], stream_output=False)
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    models = [uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"]
    ours = {m.name: m for m in measure(manifest, models, warehouse_columns(runner, manifest, models, {})).models}
    catalog = load_files(project, None)
    tests, docs = (compute_coverage(catalog, kind).subentities for kind in (CoverageType.TEST, CoverageType.DOC))
    rows = ["| model | dbt-coverage: columns tested | ours | dbt-coverage: documented | ours | declared, never built |",
            "|---|---|---|---|---|---|"]
    totals = [0, 0, 0, 0, 0, 0, 0, 0]
    for table in sorted(t for t in tests if t.split(".")[-1] in ours):
        mine = ours[table.split(".")[-1]]
        built = {c.column_name for c in tests[table].total}
        ghosts = [c for c in mine.columns if c not in built]
        figures = [len(tests[table].covered), len(built), len(mine.tested_columns), len(mine.columns),
                   len(docs[table].covered), len(built), len(mine.documented_columns), len(mine.columns)]
        totals = [a + b for a, b in zip(totals, figures)]
        rows.append(f"| {mine.name} | {figures[0]}/{figures[1]} | {figures[2]}/{figures[3]} | "
                    f"{figures[4]}/{figures[5]} | {figures[6]}/{figures[7]} | {', '.join(ghosts) or '-'} |")
    rows.append(f"| **models** | {totals[0]}/{totals[1]} | {totals[2]}/{totals[3]} | {totals[4]}/{totals[5]} | "
                f"{totals[6]}/{totals[7]} | |")
    body = (f"{source.name}: our figures and dbt-coverage's (its catalog: the warehouse's columns; its seeds and "
            "sources left out here, as we count models only). We also count a column the YAML declares but "
            "the model never built (last column).\n\n" + "\n".join(rows) + "\n")
    write_results("coverage_vs_dbt_coverage.md", f"python benchmarks/coverage.py --compare {source.name}", 1, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", default=None, help="a dbt project dir: our figures against dbt-coverage's")
    args = parser.parse_args()
    compare(args) if args.compare else cost(args)


if __name__ == "__main__":
    main()
