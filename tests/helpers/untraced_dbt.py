"""Under coverage, dbt's own code runs untraced: in the test process and in every pytest it starts.

Coverage measures this package; tracing every call inside dbt only makes each in-process dbt
call slower (about 1.6x on this suite), as the runner's own dbt child processes show (their
environment drops coverage's: runner/executors/subprocess.py). While ``dbtRunner.invoke``
runs, the tracer is off on the thread that invoked it and for the threads dbt starts; it is
back the moment dbt returns. Our code that dbt calls back meanwhile (the in-process event
callback) goes unmeasured there; the subprocess executor feeds the same EventSink, measured.
dbt's modules (and the libraries only dbt imports) are imported untraced as well: a traced
``import dbt.cli.main`` costs a second more in each of the ~50 pytest processes the suite starts.

Loaded by tests/conftest.py in the test process, and through ``PYTEST_PLUGINS`` in the pytest
processes the tests start (xdist workers, subprocess runs): there dbt is imported late, or
never (an xdist worker that follows another's build), so the patch waits for dbt's import.
PYTEST_DONT_REWRITE: an in-process pytester run finds it imported already, and would warn.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
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
        return _untraced_call(lambda: invoke(self, *args, **kwargs))

    untraced.untraced = True  # type: ignore[attr-defined]
    dbt_runner.invoke = untraced


# dbt and what only dbt imports: run untraced while they are imported, too (a traced
# ``import dbt.cli.main`` takes a second more, in every pytest process that imports dbt).
UNTRACED_IMPORTS = ("dbt.", "dbt_common", "dbt_extractor", "dbt_semantic_interfaces", "agate", "mashumaro")


def _untraced_call(fn: Any, *args: Any) -> Any:
    own, spawned = sys.gettrace(), threading.gettrace()
    if own is None:
        return fn(*args)
    sys.settrace(None)
    threading.settrace(None)  # type: ignore[arg-type]
    try:
        return fn(*args)
    finally:
        threading.settrace(spawned)  # type: ignore[arg-type]
        sys.settrace(own)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Imports dbt's modules untraced, and patches dbtRunner the moment ``dbt.cli.main`` is in."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != DBT_MAIN and (not name.startswith(UNTRACED_IMPORTS) or sys.gettrace() is None):
            return None  # not dbt's, or imported inside an untraced import already
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def exec_untraced(module: Any) -> None:
            _untraced_call(exec_module, module)
            if name == DBT_MAIN:
                untrace(module.dbtRunner)

        spec.loader.exec_module = exec_untraced  # type: ignore[method-assign]
        return spec


def install() -> None:
    """Under coverage only: patch dbtRunner now if dbt is imported, else once it is."""
    if sys.gettrace() is None:
        return
    if DBT_MAIN in sys.modules:
        untrace(sys.modules[DBT_MAIN].dbtRunner)
    if not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())


install()
