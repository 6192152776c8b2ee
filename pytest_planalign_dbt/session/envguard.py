"""Keep dbt's threads safe from pytest's PYTEST_CURRENT_TEST churn during a live build.

While the session's dbt build runs in-process on its own thread, pytest runs the
items whose nodes already finished, and sets and *deletes* ``PYTEST_CURRENT_TEST``
around every item. dbt iterates ``os.environ`` on its threads (to scrub secrets
from messages, to copy the invocation's environment); a key deleted between
listing the keys and reading one raises ``KeyError: 'PYTEST_CURRENT_TEST'``,
which dbt reports as a compilation error of whatever node it was compiling
(seen in a 152-node build). While the guard is on, a read of that one key from a
thread other than the main thread, after pytest deleted it, returns "" instead.
"""

from __future__ import annotations

import os
import threading
from typing import Any

GUARDED = "PYTEST_CURRENT_TEST"


class _GuardedEnviron(os._Environ):  # type: ignore[name-defined,misc]
    """os.environ, except a racing read of PYTEST_CURRENT_TEST off the main thread."""

    def __getitem__(self, key: str) -> Any:
        try:
            return super().__getitem__(key)
        except KeyError:
            if key == GUARDED and threading.current_thread() is not threading.main_thread():
                return ""
            raise


_original_class = type(os.environ)
_lock = threading.Lock()
_depth = 0


def install() -> None:
    """Turn the guard on (nested calls are counted)."""
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            os.environ.__class__ = _GuardedEnviron


def uninstall() -> None:
    global _depth
    with _lock:
        if _depth == 0:
            return
        _depth -= 1
        if _depth == 0:
            os.environ.__class__ = _original_class


def installed() -> bool:
    return type(os.environ) is _GuardedEnviron
