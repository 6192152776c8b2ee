"""The orchestrator's model runs: ``run_model`` and ``run_models`` over one ``execute_command``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .failures.errors import DbtCommandError
from .failures.verdict import split_result

if TYPE_CHECKING:
    from .parts import Calls
    from .results import DbtResult


class ModelRuns:
    """DbtRunner's ``run_model`` and ``run_models`` (the names PlanAlign's orchestrator calls)."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def run_model(self, /, name: str, **kwargs: Any) -> DbtResult:
        """``dbt run --select <name>``.

        Args:
            name: the model's name (or any selector).
            **kwargs: as for ``execute_command``.

        Raises:
            DbtCommandError: ``name`` is empty or not a string.
            DbtError: the run failed (unless ``retry=False`` or ``raise_on_error=False``).
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        if not isinstance(name, str) or not name.strip():
            raise DbtCommandError(f"model name must be a non-empty string, got {name!r}")
        kwargs.setdefault("description", f"Running model {name}")
        return self.calls.execute_command(["run", "--select", name], **kwargs)

    def run_models(
        self, /, models: Iterable[str], parallel: bool = False, **kwargs: Any
    ) -> list[DbtResult]:
        """One DbtResult per requested model, in order.

        Args:
            models: the model names.
            parallel: True runs them in one dbt invocation (dbt's threads) and splits the
                results per model; False runs them one by one.
            **kwargs: as for ``execute_command``.

        Raises:
            DbtError: the first model's failure, when ``retry`` is on (the default).
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        names = list(models)
        if not names:
            return []
        if not parallel:
            return [self.run_model(name, **kwargs) for name in names]
        retry = kwargs.pop("retry", True)
        kwargs.setdefault("description", f"Running {len(names)} models")
        combined = self.calls.execute_command(["run", "--select", *names], retry=False, **kwargs)
        results = [split_result(combined, name) for name in names]
        if retry:
            failed = [r for r in results if r.error is not None]
            if failed:
                raise failed[0].error  # type: ignore[misc]
        return results
