"""The rich project copied with its packages and seeded: where the runner's tests on it start."""

from __future__ import annotations

from pathlib import Path

from pytest_planalign_dbt import DbtRunner

from .verdicts import copy_project

RICH = Path(__file__).parents[1] / "projects" / "rich"


def seeded_rich(root: Path) -> DbtRunner:
    """A one-thread runner on a copy of rich under ``root``, its seeds loaded (green vars)."""
    runner = DbtRunner(copy_project(RICH, root), threads=1)
    runner.execute_command(["seed"], dbt_vars={"red": False}, stream_output=False)
    return runner
