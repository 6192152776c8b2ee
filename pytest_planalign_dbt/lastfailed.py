"""``--lf`` after a dbt failure, next to ``dbt retry``: dbt retry runs again what failed and what
dbt skipped because of it; pytest's ``--lf`` reruns only what failed. What ``--lf`` left out is
named at the end of the run, with the selection that runs it too (kept in pytest's cache from
the run before; written by the process that sees every report: the xdist controller, if any)."""

from __future__ import annotations

from typing import Any

import pytest

from .report import ReportInfo

KEY = "planalign_dbt/skipped_by_failures"


class LastFailedNote:
    """The dbt nodes a run skipped because something failed, and the line for an ``--lf`` run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._before: dict[str, list[str]] | None = None
        self.skipped: list[str] = []
        self.failed: list[str] = []
        self.reported: set[str] = set()

    def load(self) -> dict[str, list[str]]:
        """What the run before recorded (read once, at session start: before this run writes)."""
        if self._before is None:
            cache = getattr(self.config, "cache", None)  # None under -p no:cacheprovider
            found = cache.get(KEY, None) if cache is not None else None
            self._before = found if isinstance(found, dict) else {}
        return self._before

    def logreport(self, report: pytest.TestReport) -> None:
        info = ReportInfo.of(report)
        if info is None or info.hook:
            return
        self.reported.add(report.nodeid)
        if report.skipped and info.status == "skipped":
            self.skipped.append(report.nodeid)
        elif report.failed and info.unique_id:
            # What dbt skips is downstream of a failed model, or of the model a failed test tests.
            tested = [p for p in info.parents if not p.startswith("source.")]
            if not info.unique_id.startswith(("test.", "unit_test.")) or not tested:
                tested = [info.unique_id]
            self.failed.extend(_name(uid) + "+" for uid in tested)

    def left_out(self) -> list[str]:
        """What the run before skipped and this ``--lf`` run did not run."""
        if not self.config.getoption("lf", False):
            return []
        return [n for n in self.load().get("skipped", []) if n not in self.reported]

    def summary_lines(self) -> list[str]:
        left = self.left_out()
        if not left:
            return []
        names = " ".join(dict.fromkeys(self.load().get("failed", [])))
        return [f"dbt: --lf re-ran what failed; {len(left)} node(s) dbt skipped because of it last time did not "
                f"run (dbt retry would): pytest --dbt-select '{names}' runs them too"]

    def save(self) -> None:
        cache = getattr(self.config, "cache", None)
        if cache is None or getattr(self.config, "workerinput", None) is not None or not self.reported:
            return
        left = self.left_out()
        data: dict[str, Any] = {"skipped": [*self.skipped, *left],
                                "failed": [*self.failed, *(self.load().get("failed", []) if left else [])]}
        cache.set(KEY, data)


def _name(unique_id: str) -> str:
    """``model.pkg.name`` (``.v2``, a test's hash) -> ``name``."""
    parts = unique_id.split(".")
    return parts[2] if len(parts) > 2 else unique_id
