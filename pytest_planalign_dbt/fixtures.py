"""Fixtures: dbt_settings, dbt_runner, dbt_vars and dbt. Small, and overridable by name."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

import pytest

from .collection import COLLECTION_KEY
from .factory import make_runner
from .options import SETTINGS_KEY, DbtSettings
from .regression import DbtRegression
from .runner import DbtResult, DbtRunner, call_vars


@pytest.fixture(scope="session")
def dbt_settings(pytestconfig: pytest.Config) -> DbtSettings:
    """The session's resolved dbt settings (options > env > ini > defaults)."""
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def dbt_worker_id(pytestconfig: pytest.Config) -> str | None:
    """The xdist worker id ("gw0"...), or None when not under xdist."""
    # From the worker's own config, not PYTEST_XDIST_WORKER: that env var also leaks into
    # any pytest a worker starts as a subprocess.
    workerinput = getattr(pytestconfig, "workerinput", None)
    return workerinput.get("workerid") if workerinput else None


@pytest.fixture(scope="session")
def dbt_database_suffix(dbt_worker_id: str | None) -> str | None:
    """Suffix of this worker's DuckDB file (``-gw0``); override to choose another layout.

    Under xdist every worker writes to its own database file, so tests that build
    and mutate data never collide on DuckDB's one-writer lock. None: the profile's file.
    """
    return f"-{dbt_worker_id}" if dbt_worker_id else None


def _runner(settings: DbtSettings, worker: str | None, suffix: str | None) -> DbtRunner:
    try:
        return make_runner(settings, worker=worker, database_suffix=suffix)
    except (LookupError, ValueError) as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def dbt_runner(
    request: pytest.FixtureRequest, dbt_settings: DbtSettings, dbt_worker_id: str | None,
    dbt_database_suffix: str | None,
) -> Iterator[DbtRunner]:
    """A DbtRunner for the configured project; under xdist each worker has its own
    target dir, log dir and DuckDB file.

    When the session also collects dbt nodes into the same database, they are built
    first: a test's own dbt calls (other vars, other data) must never change what the
    collected items see.
    """
    collection = request.config.stash.get(COLLECTION_KEY, None)
    if collection is not None and not dbt_database_suffix:
        collection.lifecycle.wait_for_build(request.session)
    runner = _runner(dbt_settings, dbt_worker_id, dbt_database_suffix)
    yield runner
    runner.invalidate_manifest()  # the session is over: its parse leaves memory (collection.release)


@pytest.fixture
def dbt_vars(request: pytest.FixtureRequest, dbt_settings: DbtSettings) -> dict[str, Any]:
    """dbt vars for this test: the session's, then @pytest.mark.dbt_vars(...), then a param."""
    extra: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("dbt_vars"))):
        extra.update(*marker.args, **marker.kwargs)
    param = getattr(request, "param", None)
    if isinstance(param, Mapping):
        extra.update(param)
    return dbt_settings.merged_vars(extra)


class BoundDbt:
    """A DbtRunner with this test's vars applied to every call."""

    def __init__(self, runner: DbtRunner, dbt_vars: Mapping[str, Any]) -> None:
        self.runner = runner
        self.vars = dict(dbt_vars)

    def _vars(self, extra: Mapping[str, Any] | None) -> dict[str, Any]:
        return {**self.vars, **(extra or {})}

    def execute(self, command_args: Sequence[str] | str, *, dbt_vars: Mapping[str, Any] | None = None,
                **kwargs: Any) -> DbtResult:
        __tracebackhide__ = True  # the user's line and dbt's error, not ours
        kwargs.setdefault("stream_output", False)
        return self.runner.execute_command(command_args, dbt_vars=self._vars(dbt_vars), **kwargs)

    def build(self, *select: str, **kwargs: Any) -> DbtResult:
        __tracebackhide__ = True  # the user's line and dbt's error, not ours
        return self.execute(["build", *(["--select", *select] if select else [])], **kwargs)

    def run_model(self, name: str, **kwargs: Any) -> DbtResult:
        __tracebackhide__ = True  # the user's line and dbt's error, not ours
        return self.execute(["run", "--select", name], **kwargs)

    def rows(self, model: str, *, where: str | None = None, limit: int = -1,
             dbt_vars: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        __tracebackhide__ = True  # the user's line and dbt's error, not ours
        return self.runner.rows(model, where=where, limit=limit, dbt_vars=self._vars(dbt_vars))

    def render(self, jinja_sql: str, *, dbt_vars: Mapping[str, Any] | None = None,
               vars: Mapping[str, Any] | None = None) -> str:
        __tracebackhide__ = True  # the user's line and dbt's error, not ours
        dbt_vars = call_vars("render", dbt_vars, vars)
        return self.runner.render(jinja_sql, dbt_vars=self._vars(dbt_vars))

    def query(self, jinja_sql: str, *, dbt_vars: Mapping[str, Any] | None = None,
              limit: int | None = None, vars: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        __tracebackhide__ = True  # the user's line and dbt's error, not ours
        dbt_vars = call_vars("query", dbt_vars, vars)
        return self.runner.query(jinja_sql, dbt_vars=self._vars(dbt_vars), limit=limit)

    def macro(self, name: str, *args: Any, **kwargs: Any) -> str:
        __tracebackhide__ = True  # the user's line and dbt's error, not ours
        return self.runner.render_macro(name, args, kwargs, dbt_vars=self._vars(None))

    def run_operation(self, name: str, args: Mapping[str, Any] | None = None, *,
                      dbt_vars: Mapping[str, Any] | None = None, vars: Mapping[str, Any] | None = None) -> DbtResult:
        __tracebackhide__ = True  # the user's line and dbt's error, not ours
        dbt_vars = call_vars("run_operation", dbt_vars, vars)
        return self.runner.run_operation(name, args, dbt_vars=self._vars(dbt_vars))


class DbtScenario(Protocol):
    """The ``dbt_scenario`` fixture: ``dbt_scenario(name, dbt_vars)`` -> a BoundDbt on its own database."""

    def __call__(self, name: str, dbt_vars: Mapping[str, Any] | None = None) -> BoundDbt: ...


@pytest.fixture
def dbt(dbt_runner: DbtRunner, dbt_vars: dict[str, Any]) -> BoundDbt:
    """Run dbt, read relations by model name, render and query Jinja SQL and macros, with this
    test's vars."""
    return BoundDbt(dbt_runner, dbt_vars)


@pytest.fixture(scope="session")
def dbt_scenario(
    dbt_settings: DbtSettings, dbt_worker_id: str | None
) -> DbtScenario:
    """A factory: ``dbt_scenario(name, vars)`` -> a BoundDbt on the scenario's own database.

    Each scenario gets its own DuckDB file (``sim-<name>.duckdb``, ``sim-<name>-gw0.duckdb``
    under xdist) and its own target and log dirs, so scenarios can run side by side, e.g. in
    parallel under ``pytest -n 2``.
    """
    runners: dict[str, DbtRunner] = {}

    def make(name: str, dbt_vars: Mapping[str, Any] | None = None) -> BoundDbt:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            pytest.fail(f"scenario name must be letters, digits, '_', '-' or '.', got {name!r}",
                        pytrace=False)
        if name not in runners:
            # The worker id too: the same scenario name on two workers must not share a file.
            suffix = f"-{name}" + (f"-{dbt_worker_id}" if dbt_worker_id else "")
            runners[name] = _runner(dbt_settings, f"scenario{suffix}", suffix)
        return BoundDbt(runners[name], dbt_settings.merged_vars(dbt_vars))

    return make


@pytest.fixture
def dbt_regression(request: pytest.FixtureRequest, dbt: BoundDbt, dbt_settings: DbtSettings) -> DbtRegression:
    """Check a model's rows against a golden file beside the test (``--dbt-regen`` rewrites it)."""
    return DbtRegression(request.node, dbt, dbt_settings.regen)
