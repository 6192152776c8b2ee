"""Helpers shared by the benchmark scripts (not a test module)."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import tempfile
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
