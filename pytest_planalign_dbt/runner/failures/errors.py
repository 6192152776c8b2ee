"""The DbtError tree: one small class per kind of failure, each naming the fix.

Which kind a failure is lives in classify.py; the fix to suggest in fixes.py.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from .fixes import MISSING_REF, suggest_fix
from .kinds import Kind, label
from .messages import render_failure, trim_message


class FailedNode(Protocol):
    """A node's outcome as an error reads it (``results.NodeResult`` is the one the runner makes):
    declared here so that errors sit below results, which hold them."""

    @property
    def unique_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str | None: ...
    @property
    def compiled_path(self) -> str | None: ...
    @property
    def original_file_path(self) -> str | None: ...
    def headline(self) -> str: ...
    def describe(self) -> str: ...


class FailedRun(Protocol):
    """The run an error came from (``results.DbtResult``): the orchestrator's six fields, the
    nodes, the attempts and dbt's log."""

    @property
    def success(self) -> bool: ...
    @property
    def stdout(self) -> str: ...
    @property
    def stderr(self) -> str: ...
    @property
    def execution_time(self) -> float: ...
    @property
    def return_code(self) -> int: ...
    @property
    def command(self) -> list[str]: ...
    @property
    def nodes(self) -> Sequence[FailedNode]: ...
    @property
    def attempts(self) -> int: ...
    @property
    def log_path(self) -> str | None: ...


class DbtCommandError(ValueError):
    """Bad input to the runner, refused before dbt starts (a ValueError)."""


class DbtConfigError(ValueError):
    """A runner setting (project dir, profiles dir, executor...) is unusable."""


# How many failed nodes an error shows with dbt's message in full (the rest: one line each).
MESSAGE_NODES = 3


class DbtError(Exception):
    """A dbt invocation failed; carries the failing nodes, dbt's message and the fix."""

    kind: Kind = Kind.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        nodes: Sequence[FailedNode] = (),
        result: FailedRun | None = None,
        compiled_path: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.dbt_message = message
        self.nodes = list(nodes)
        self.result = result
        self.compiled_path = compiled_path or next(
            (n.compiled_path for n in self.nodes if n.compiled_path), None
        )
        first = self.nodes[0] if self.nodes else None
        self.fix = fix or suggest_fix(
            self.kind, message, self.compiled_path,
            first.resource_type if first else None, first.name if first else None,
        )
        super().__init__(self._render())

    def _render(self) -> str:
        if self.nodes:
            head = f"dbt {label(self.kind)} in {len(self.nodes)} node(s)"
            body = []
            for i, node in enumerate(self.nodes[:10]):
                if i < MESSAGE_NODES and node.message:
                    # dbt's lines kept as lines: a caret under "LINE 12:" still points at the column.
                    body.append(f"  - {node.headline()}")
                    body += [f"      {line}" for line in trim_message(node.message, 15)]
                else:
                    body.append(f"  - {node.describe()}")
            if len(self.nodes) > 10:
                body.append(f"  ... and {len(self.nodes) - 10} more")
        else:
            head = f"dbt {label(self.kind)}"
            body = [f"  {line}" for line in trim_message(self.dbt_message, 15)]
        return render_failure(head, body, compiled=self.compiled_path, fix=self.fix)

    def refix(self, fix: str) -> None:
        """Give the error another fix (one that needed more than the message to find)."""
        self.fix = fix
        self.args = (self._render(),)

    @property
    def node_names(self) -> list[str]:
        return [n.name for n in self.nodes]


class DbtCompilationError(DbtError):
    """dbt could not parse or compile a node (Jinja, YAML, a missing ref)."""

    kind = Kind.COMPILATION


class DbtExecutionError(DbtError):
    """The database rejected a node's SQL or failed while running it."""

    kind = Kind.EXECUTION


class DbtDataQualityError(DbtError):
    """A data test found failing rows (status ``fail``)."""

    kind = Kind.DATA_QUALITY


class DbtUnitTestError(DbtError):
    """A dbt unit test's actual rows differ from its expected rows (logic, not data)."""

    kind = Kind.UNIT_TEST


class DbtTransientError(DbtError):
    """A failure that may pass on retry: a locked DuckDB file, a dropped connection."""

    kind = Kind.TRANSIENT


class DbtTimeoutError(DbtError):
    """The invocation ran past its timeout and was cancelled."""

    kind = Kind.TIMEOUT


class DbtSelectionError(DbtError):
    """The selection matched no enabled dbt node, so dbt ran nothing."""

    kind = Kind.UNKNOWN


# Each kind's class, as the classes name their kind (the generic DbtError for UNKNOWN).
ERROR_CLASSES: dict[Kind, type[DbtError]] = {
    cls.kind: cls for cls in (DbtError, DbtCompilationError, DbtExecutionError, DbtDataQualityError,
                              DbtUnitTestError, DbtTransientError, DbtTimeoutError)
}


def error_for(
    kind: str,
    message: str,
    *,
    nodes: Sequence[FailedNode] = (),
    result: FailedRun | None = None,
) -> DbtError:
    """The DbtError subclass of ``kind``, built from dbt's message and the failed nodes."""
    return ERROR_CLASSES[Kind.of(kind)](message, nodes=nodes, result=result)


def with_closest_ref(error: DbtError, names: Callable[[], Iterable[str]]) -> None:
    """Add the closest of ``names`` (what a ref() can name) to the fix of an error that is a
    ref to a node dbt did not find: ``ref('stg_ordrs')`` -> did you mean stg_orders?"""
    texts = (error.dbt_message, *(n.message or "" for n in error.nodes))
    missing = next((m for m in map(MISSING_REF.search, texts) if m), None)
    if missing is None:
        return
    close = difflib.get_close_matches(missing["name"], sorted(names()), n=3, cutoff=0.7)
    if close:
        error.refix(f"did you mean {' or '.join(repr(c) for c in close)}? {error.fix}")
