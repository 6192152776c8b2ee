"""pytest's last collections of garbage: one walk of dbt's heap instead of two.

As a session ends pytest collects garbage twice, to report unraisable exceptions (its
unraisableexception plugin, in ``pytest_unconfigure`` and again in a cleanup), and each
collection walks every object alive. After an in-process dbt session that is dbt's modules, its
adapter and the items: ~315,000 objects at 2,100 nodes, 0.22 s a walk, two walks of a 5 s
``--collect-only`` (benchmarks/collect.py). Here, once the session's parse is gone: one
collection while pytest's unraisable hook is still installed (nothing pytest would report is
missed), then what survived is frozen, so pytest's own walks see only what is made after; the
last cleanup thaws it, so nothing stays frozen in a process that goes on (``pytest.main`` run
twice, an editor's runner).

Nothing is done when pytest itself will not collect (pytester's in-process runs set its count
to 0; they are told by pytester's own plugin among the invocation's plugins, read by its module
name: no import of pytest's internals), when the collector is off, or when someone else froze
objects already.
"""

from __future__ import annotations

import gc
import sys

import pytest

FROZEN_KEY = pytest.StashKey[bool]()
# The module of pytester's plugins: an in-process run (runpytest_inprocess, inline_run) passes
# one of them to pytest.main, and pytest runs no exit collection at its end.
PYTESTER = "_pytest.pytester"


def _exit_collections(config: pytest.Config) -> int:
    """How many collections pytest runs as it ends (1 on CPython, 0 under pytester inline)."""
    inline = any(type(p).__module__ == PYTESTER for p in config.invocation_params.plugins or ())
    return 0 if inline else 1


def freeze_for_exit(config: pytest.Config) -> bool:
    """Collect once, then freeze what is alive until ``thaw``; whether it did."""
    if ("dbt.cli.main" not in sys.modules or not gc.isenabled() or gc.get_freeze_count()
            or _exit_collections(config) < 1):
        return False
    gc.collect()
    gc.freeze()
    config.stash[FROZEN_KEY] = True
    return True


def thaw(config: pytest.Config) -> None:
    """The last cleanup: what ``freeze_for_exit`` froze is an ordinary object again."""
    if config.stash.get(FROZEN_KEY, False):
        config.stash[FROZEN_KEY] = False
        gc.unfreeze()
