"""Bare wildcards on a real project: our selection vs dbt-core 1.11.16's own ``dbt ls``.

    python benchmarks/wildcard_trial.py PROJECT_DIR REFERENCE_DBT [--vars '{simulation_year: 2025}']

PROJECT_DIR: a dbt project with its packages installed (``dbt deps``), e.g. PlanAlign's ``dbt/``;
REFERENCE_DBT: the ``dbt`` of a virtualenv with dbt-core 1.11.16+ (the release that matches a bare
wildcard against node names). For each selection, the nodes listed by that CLI, by this
environment's own ``dbt`` CLI (dbt-core 1.12.0 here: the bug), and by ``DbtRunner.list_nodes``
in-process and as a subprocess (the fix). Prints a table; writes nothing into the project but
dbt's own target/.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from pytest_planalign_dbt import DbtRunner

SELECTIONS = [
    (["int_*"], []), (["stg_*"], []), (["fct_*"], []), (["int_* stg_*"], []), (["+fct_*"], []),
    (["int_*+"], []), (["@int_hire*"], []), (["int_*"], ["int_hazard*"]), (["int_*,tag:EVENT_GENERATION"], []),
    (["*_snapshot"], []), (["dim_*", "int_employee*"], []),
]
TYPES = ["model", "test", "seed", "snapshot", "unit_test"]


def cli_ls(dbt: str, project: Path, select: list[str], exclude: list[str], dbt_vars: str, target: str) -> set[str]:
    """One CLI's listing; each CLI keeps its own target dir (and partial parse: versions differ)."""
    argv = [dbt, "ls", "--output", "json", "--output-keys", "unique_id", "--quiet", "--vars", dbt_vars,
            "--target-path", f"target/{target}",
            "--select", *select, *(["--exclude", *exclude] if exclude else [])]
    for resource_type in TYPES:
        argv += ["--resource-type", resource_type]
    proc = subprocess.run(argv, cwd=project, capture_output=True, text=True)
    return {json.loads(line)["unique_id"] for line in proc.stdout.splitlines() if line.startswith("{")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("project", type=Path)
    parser.add_argument("reference_dbt")
    parser.add_argument("--vars", default="{}")
    args = parser.parse_args()
    own_dbt = str(Path(sys.executable).parent / "dbt")
    dbt_vars = __import__("yaml").safe_load(args.vars) or {}
    runners = {ex: DbtRunner(args.project, executor=ex, threads=1) for ex in ("inprocess", "subprocess")}
    print(f"{'selection':44} | 1.11.16 CLI | this dbt's CLI | runner in-process | runner subprocess | equal")
    print("|".join(["-" * 45, "-" * 13, "-" * 16, "-" * 19, "-" * 19, "-" * 6]))
    started = time.monotonic()
    for select, exclude in SELECTIONS:
        reference = cli_ls(args.reference_dbt, args.project, select, exclude, args.vars, "wildcard-reference")
        plain = cli_ls(own_dbt, args.project, select, exclude, args.vars, "wildcard-own-cli")
        ours = {ex: {n["unique_id"] for n in r.list_nodes(select, exclude, resource_types=TYPES, dbt_vars=dbt_vars)}
                for ex, r in runners.items()}
        equal = all(found == reference for found in ours.values())
        label = " ".join(select) + (f" --exclude {' '.join(exclude)}" if exclude else "")
        print(f"{label:44} | {len(reference):11} | {len(plain):14} | {len(ours['inprocess']):17} | "
              f"{len(ours['subprocess']):17} | {'yes' if equal else 'NO'}")
    print(f"\n{len(SELECTIONS)} selections in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
