"""dbt's own verdict vs the plugin's: run both on copies of a project, node by node."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

DBT = str(Path(sys.executable).parent / "dbt")
IGNORE = shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal", "dbt_packages", "package-lock.yml")
INSTALLED_IGNORE = shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal")
# What each dbt status may become in pytest. "error" is a pytest error (could not be built:
# compilation, retries exhausted) or a failure (the SQL ran and failed), by its kind.
ALLOWED = {
    "success": {"passed"}, "pass": {"passed"}, "warn": {"passed"}, "fail": {"failed"},
    "error": {"failed", "error"}, "skipped": {"skipped"},
}
# dbt reports these but they are not tests: exposures and the like "no-op".
NOT_COLLECTED = {"no-op"}


_INSTALLED: dict[Path, Path] = {}  # a project -> its copy with `dbt deps` run, once per process


def copy_project(source: Path, root: Path) -> Path:
    """A copy of ``source`` under ``root`` with its packages installed (local ones only)."""
    dest = root / source.name
    if not (source / "packages.yml").is_file():
        shutil.copytree(source, dest, ignore=IGNORE)
        return dest
    if source not in _INSTALLED:
        installed = Path(tempfile.mkdtemp(prefix="planalign-test-deps-")) / source.name
        atexit.register(shutil.rmtree, installed.parent, True)
        shutil.copytree(source, installed, ignore=IGNORE)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS")}
        subprocess.run([DBT, "deps", "--profiles-dir", "."], cwd=installed, check=True, capture_output=True,
                       env=env)
        _INSTALLED[source] = installed
    shutil.copytree(_INSTALLED[source], dest, ignore=INSTALLED_IGNORE)
    return dest


def dbt_build(project: Path, *args: str) -> tuple[int, dict[str, str]]:
    """``dbt build`` by dbt's own CLI: its exit code and every node's status from run_results.json."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "COV_CORE", "COVERAGE_PROCESS"))}
    proc = subprocess.run([DBT, "build", "--profiles-dir", ".", *args], cwd=project, capture_output=True,
                          text=True, env=env)
    return proc.returncode, run_results(project)


def run_results(project: Path) -> dict[str, str]:
    """unique id -> status, from the project's last run_results.json.

    A node skipped because an ephemeral model it inlines did not compile counts as an
    error: dbt's log says "ERROR SKIP" and the run fails (exit 1).
    """
    data = json.loads((project / "target" / "run_results.json").read_text())
    return {r["unique_id"]: "error" if r["status"] == "skipped" and "referenced ephemeral model"
            in (r.get("message") or "") else r["status"] for r in data["results"]}


def junit_outcomes(path: Path) -> dict[str, str]:
    """unique id -> pytest outcome, from the dbt_unique_id property of each testcase."""
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        uid = props.get("dbt_unique_id")
        if uid is None:
            continue
        if case.find("error") is not None:
            out[uid] = "error"
        elif case.find("failure") is not None:
            out[uid] = "failed"
        elif case.find("skipped") is not None:
            out[uid] = "skipped"
        else:
            out[uid] = "passed"
    return out


def run_pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in a subprocess from ``root`` (its own rootdir), with a clean dbt environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env["COLUMNS"] = "120"
    (root / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", *args],
                          cwd=root, capture_output=True, text=True, env=env)


def compare(dbt_statuses: dict[str, str], outcomes: dict[str, str]) -> list[str]:
    """Every disagreement between dbt's statuses and pytest's outcomes, as readable lines."""
    problems = []
    expected = {u for u, s in dbt_statuses.items() if s not in NOT_COLLECTED}
    for uid in sorted(expected - set(outcomes)):
        problems.append(f"{uid}: dbt says {dbt_statuses[uid]}, pytest has no item")
    for uid in sorted(set(outcomes) - expected):
        problems.append(f"{uid}: pytest says {outcomes[uid]}, dbt reported no such node")
    for uid in sorted(expected & set(outcomes)):
        if outcomes[uid] not in ALLOWED.get(dbt_statuses[uid], set()):
            problems.append(f"{uid}: dbt says {dbt_statuses[uid]}, pytest says {outcomes[uid]}")
    return problems


def junit_by_name(path: Path) -> dict[str, str]:
    """``classname::name`` -> outcome with its reason ("skipped: ...", "failed: dbt ..."), to
    compare two runs of the same project (e.g. on DuckDB and on PostgreSQL)."""
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        skipped, failure = case.find("skipped"), case.find("failure")
        if case.find("error") is not None:
            out[name] = "error"
        elif skipped is not None:
            out[name] = "skipped: " + (skipped.get("message") or "")
        elif failure is not None:
            out[name] = "failed: " + (failure.get("message") or "").split(":")[0]
        else:
            out[name] = "passed"
    return out
