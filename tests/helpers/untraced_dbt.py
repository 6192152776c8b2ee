"""Under coverage, dbt's own code runs untraced: in the test process and in every pytest it starts.

Coverage measures this package; tracing every call inside dbt only makes each in-process dbt
call slower (about 1.6x on this suite), as the runner's own dbt child processes show (their
environment drops coverage's: runner/executors/subprocess.py). While ``dbtRunner.invoke``
runs, the tracer is off on the thread that invoked it and for the threads dbt starts; it is
back the moment dbt returns. Our code that dbt calls back meanwhile (the in-process event
callback) goes unmeasured there; the subprocess executor feeds the same EventSink, measured.

Loaded by tests/conftest.py in the test process, and through ``PYTEST_PLUGINS`` in the pytest
processes the tests start (xdist workers, subprocess runs): there dbt is imported late, or
never (an xdist worker that follows another's build), so the patch waits for dbt's import.
PYTEST_DONT_REWRITE: an in-process pytester run finds it imported already, and would warn.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import threading
from typing import Any

DBT_MAIN = "dbt.cli.main"


def untrace(dbt_runner: Any) -> None:
    """Make ``dbtRunner.invoke`` run untraced (once per class)."""
    invoke = dbt_runner.invoke
    if getattr(invoke, "untraced", False):
        return

    def untraced(self: Any, *args: Any, **kwargs: Any) -> Any:
        own, spawned = sys.gettrace(), threading.gettrace()
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        try:
            return invoke(self, *args, **kwargs)
        finally:
            threading.settrace(spawned)  # type: ignore[arg-type]
            sys.settrace(own)

    untraced.untraced = True  # type: ignore[attr-defined]
    dbt_runner.invoke = untraced


class _AfterImport(importlib.abc.MetaPathFinder):
    """Patches dbtRunner the moment ``dbt.cli.main`` has been imported, and steps aside."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != DBT_MAIN:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module: Any) -> None:
            exec_module(module)
            untrace(module.dbtRunner)

        loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


def install() -> None:
    """Under coverage only: patch dbtRunner now if dbt is imported, else once it is."""
    if sys.gettrace() is None:
        return
    if DBT_MAIN in sys.modules:
        untrace(sys.modules[DBT_MAIN].dbtRunner)
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())


install()
