"""Wall time of `pytest --dbt-select '*'` vs `dbt build` on example_project.

    python benchmarks/plugin_vs_build.py [--runs 5]

Both run as fresh processes on the same copy of the project, alternating
(A B A B ...), after one warm-up build; prints a markdown table of medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from _common import fresh_example, summary, timed, write_results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    project = fresh_example()
    dbt = str(Path(sys.executable).parent / "dbt")
    contenders = {
        "dbt build": [dbt, "build", "--vars", "{simulation_year: 2025}"],
        "pytest --dbt-select '*'": [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project),
            "--dbt-project-dir", str(project), "--dbt-select", "*", "--dbt-simulation-year", "2025",
        ],
    }
    timed(contenders["dbt build"], project)  # warm-up: seeds loaded, partial parse cache written
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.runs):
        for name, cmd in contenders.items():
            samples[name].append(timed(cmd, project))
    floor = statistics.median(samples["dbt build"])
    lines = ["example_project, one warm-up build first, fresh processes alternating.", "",
             "| command | wall | ratio to dbt build |", "|---|---|---|"]
    for name in contenders:
        lines.append(f"| `{name}` | {summary(samples[name])} | {statistics.median(samples[name]) / floor:.2f}x |")
    write_results("plugin_vs_build.md", f"python benchmarks/plugin_vs_build.py --runs {args.runs}", args.runs,
                  "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
