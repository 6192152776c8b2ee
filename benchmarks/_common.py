"""Helpers shared by the benchmark scripts (not a test module)."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
EXAMPLE = ROOT / "example_project"
IGNORE = shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal", ".user.yml")


def fresh_example(name: str = "example_project") -> Path:
    dest = Path(tempfile.mkdtemp(prefix="bench-")) / name
    shutil.copytree(EXAMPLE, dest, ignore=IGNORE)
    return dest


def machine() -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {mem_gib:.0f} GiB, Python {platform.python_version()}, "
        f"dbt-core {version('dbt-core')}, dbt-duckdb {version('dbt-duckdb')}, duckdb {version('duckdb')}"
    )


def write_results(name: str, command: str, runs: int, body: str, took: float | None = None) -> str:
    """``benchmarks/results/<name>``: when, on what, with which command (and how long it took),
    then the tables; printed too."""
    took_words = f" took {took:.0f} s" if took is not None else ""
    text = (f"Measured {date.today()} on {machine()}; medians of {runs} runs; "
            f"`{command}`{took_words}.\n\n{body}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text(text)
    print(text)
    return text


def summary(samples: list[float]) -> str:
    return f"{statistics.median(samples):.3f} s (min {min(samples):.3f}, max {max(samples):.3f}, n={len(samples)})"


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Wall time of ``cmd`` as a fresh process in ``cwd``; exits with its output if it fails."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})}
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} in {cwd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed
