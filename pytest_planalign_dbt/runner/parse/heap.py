"""The collector keeps its hands off what is long-lived while dbt runs in-process.

A full collection walks every tracked object; during an in-process dbt call those are
mostly dbt's own modules and the parsed manifest, which live as long as the process or
the kept parse, so a large build spends seconds in the collector for nothing (measured by
benchmarks/gc_build.py, results/gc_build.md). Freezing what is alive when a call starts,
and again once its parse is in memory, leaves the collector the call's own young objects,
at the same peak RSS. On the way out everything is unfrozen, so nothing that became garbage
meanwhile is kept for good.

The collector is process-wide: when someone else froze objects already (a forking
server, the user's own tuning) we leave it alone altogether.
"""

from __future__ import annotations

import gc
from types import TracebackType


class FrozenHeap:
    """``with FrozenHeap() as heap: ...; heap.freeze_new(); ...`` around one dbt call."""

    def __init__(self) -> None:
        self.owned = False

    def __enter__(self) -> FrozenHeap:
        self.owned = gc.isenabled() and gc.get_freeze_count() == 0
        self.freeze_new()
        return self

    def freeze_new(self) -> None:
        """Objects made since (the parsed manifest) join the frozen ones."""
        if self.owned:
            gc.freeze()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.owned:
            gc.unfreeze()
            self.owned = False
