"""Fixtures: dbt_settings, dbt_runner, dbt_vars and dbt. Small, and overridable by name."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from .factory import make_runner
from .options import DbtSettings
from .runner import DbtResult, DbtRunner


@pytest.fixture(scope="session")
def dbt_settings(pytestconfig: pytest.Config) -> DbtSettings:
    """The session's resolved dbt settings (options > env > ini > defaults)."""
    from .plugin import SETTINGS_KEY

    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def dbt_runner(dbt_settings: DbtSettings) -> DbtRunner:
    """A DbtRunner for the configured project; under xdist each worker has its own dirs."""
    try:
        return make_runner(dbt_settings, worker=os.environ.get("PYTEST_XDIST_WORKER"))
    except (LookupError, ValueError) as exc:
        pytest.fail(str(exc), pytrace=False)


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
        kwargs.setdefault("stream_output", False)
        return self.runner.execute_command(command_args, dbt_vars=self._vars(dbt_vars), **kwargs)

    def build(self, *select: str, **kwargs: Any) -> DbtResult:
        return self.execute(["build", *(["--select", *select] if select else [])], **kwargs)

    def run_model(self, name: str, **kwargs: Any) -> DbtResult:
        return self.execute(["run", "--select", name], **kwargs)

    def rows(self, model: str, *, where: str | None = None, limit: int = -1,
             dbt_vars: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.runner.rows(model, where=where, limit=limit, dbt_vars=self._vars(dbt_vars))


@pytest.fixture
def dbt(dbt_runner: DbtRunner, dbt_vars: dict[str, Any]) -> BoundDbt:
    """Run dbt and read relations by model name, with this test's vars."""
    return BoundDbt(dbt_runner, dbt_vars)
