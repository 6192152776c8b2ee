"""dbt's own verdict vs the plugin's: run both on copies of a project, node by node."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
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
    # A microbatch model some of whose batches failed: dbt counts it as an error (exit 1).
    "partial success": {"failed"},
    # dbt skipped it naming an ephemeral model it inlines ("ERROR SKIP"): a skip, or the one item
    # that carries the ephemeral model's own compilation error.
    "skipped ephemeral": {"skipped", "error"},
}
# dbt reports these but they are not tests: exposures and the like "no-op".
NOT_COLLECTED = {"no-op"}


def cli_env(drop: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """The environment of a dbt CLI child: coverage's variables dropped (the CLI runs none of our
    code, and traced it takes 1.4x as long), and any variable starting with ``drop``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_PROCESS", "COV_CORE", *drop))}
    return {**env, **extra}


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
        subprocess.run([DBT, "deps", "--profiles-dir", "."], cwd=installed, check=True, capture_output=True,
                       env=cli_env())
        _INSTALLED[source] = installed
    shutil.copytree(_INSTALLED[source], dest, ignore=INSTALLED_IGNORE)
    return dest


def dbt_build(project: Path, *args: str) -> tuple[int, dict[str, str]]:
    """``dbt build`` by dbt's own CLI: its exit code and every node's status from run_results.json."""
    proc = subprocess.run([DBT, "build", "--profiles-dir", ".", *args], cwd=project, capture_output=True,
                          text=True, env=cli_env(drop=("DBT_",)))
    return proc.returncode, run_results(project)


def dbt_verdict(source: Path, shared_dir: Path, *args: str) -> tuple[int, dict[str, str]]:
    """dbt's own verdict on a fresh copy of ``source`` (``dbt build --threads 1 *args``), made once
    per test run: every test and xdist worker that asks for the same one reads the first's
    (``shared_dir``: a directory all workers see, under a file lock)."""
    key = hashlib.sha256(json.dumps([str(source), args]).encode()).hexdigest()[:16]
    shared_dir.mkdir(parents=True, exist_ok=True)
    answer = shared_dir / f"dbt-verdict-{source.name}-{key}.json"
    with (shared_dir / f"dbt-verdict-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError):
            code, statuses = json.loads(answer.read_text())
            return code, statuses
        work = Path(tempfile.mkdtemp(prefix="planalign-dbt-verdict-", dir=shared_dir))
        code, statuses = dbt_build(copy_project(source, work), "--threads", "1", *args)
        answer.write_text(json.dumps([code, statuses]))
        shutil.rmtree(work, ignore_errors=True)
        return code, statuses


def assert_follows_dbt(source: Path, project: Path, junit: Path, returncode: int, shared_dir: Path,
                       *dbt_args: str) -> None:
    """The fidelity rule: every item's outcome (from ``junit``) follows from the status dbt wrote
    for its node in the same invocation's run_results.json (in ``project``), and from dbt's own
    ``dbt build`` of another copy of ``source``; the exit codes are equal.

    One thing dbt itself does not repeat: which of a model's unit tests runs first (it varies
    between processes); when one fails, a sibling that had not run yet is skipped. Such unit
    tests may be "pass" in one run and "skipped" in the other.
    """
    __tracebackhide__ = True
    outcomes = junit_outcomes(junit)
    own = run_results(project)
    assert compare(own, outcomes) == []
    code, statuses = dbt_verdict(source, shared_dir, *dbt_args)
    racing = {u for u in own if u.startswith("unit_test.") and {own[u], statuses.get(u)} == {"pass", "skipped"}}
    assert compare({u: s for u, s in statuses.items() if u not in racing},
                   {u: o for u, o in outcomes.items() if u not in racing}) == []
    assert returncode == code, f"pytest exited {returncode}, dbt build {code}"


def run_results(project: Path) -> dict[str, str]:
    """unique id -> status, from the project's last run_results.json.

    A node skipped naming an ephemeral model it inlines (dbt's log: "ERROR SKIP") is "skipped
    ephemeral": dbt says so both when that model failed to compile and when it was skipped.
    """
    data = json.loads((project / "target" / "run_results.json").read_text())
    return {r["unique_id"]: "skipped ephemeral" if r["status"] == "skipped" and "referenced ephemeral model"
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
