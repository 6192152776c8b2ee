"""dbt nodes as pytest items: one file collector per node file, one item per node.

Outcomes: a node that could not be built (compilation error, a transient
failure that outlived its retries, a build that never ran it) errors in setup;
an execution error or a failing data test fails in call; a node dbt skipped
because something upstream failed is skipped; a warn-severity failure passes
with a pytest warning. Hooks (on-run-start / on-run-end) are items of the
dbt_project.yml that defines them and follow the same rules.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import pytest

from .runner import PASSING, Kind, Status
from .session.nodes import NodeOutcome, NodeSpec
from .session.render import render_outcome


class Outcomes(Protocol):
    """Where an item finds its node's outcome (``lifecycle.SessionDbt``)."""

    def outcome_for(self, item: DbtItem) -> NodeOutcome: ...

    def golden_failure(self, item: DbtItem) -> str | None: ...


class DbtTestWarning(UserWarning):
    """A dbt data test with severity warn found rows: the node passes, the warning stays."""


class DbtNodeProblem(Exception):
    """Base of what a dbt item raises; rendered by repr_failure without a traceback."""

    def __init__(self, item: DbtItem, outcome: NodeOutcome) -> None:
        super().__init__(outcome.unique_id)
        self.item = item
        self.outcome = outcome

    def render(self) -> str:
        return render_outcome(self.item.spec, self.outcome)


class DbtNodeError(DbtNodeProblem):
    """The node could not be built (reported as a pytest error)."""


class DbtNodeFailure(DbtNodeProblem):
    """The node ran and failed: SQL execution error or failing data test (pytest failed)."""


class DbtRegressionFailure(Exception):
    """The node built, but its rows differ from its golden file (``meta: {golden: ...}``)."""


class DbtFile(pytest.File):
    """A file of the dbt project that defines one or more selected nodes."""

    def __init__(
        self, *, specs: Iterable[NodeSpec] = (), collection: Outcomes | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.specs = list(specs)
        self.collection = collection

    def collect(self) -> list[DbtItem]:
        assert self.collection is not None
        return [DbtItem.from_parent(self, name=spec.item_name, spec=spec, collection=self.collection)
                for spec in self.specs]


class DbtItem(pytest.Item):
    """One dbt node; its outcome comes from the session's single dbt build."""

    def __init__(self, *, spec: NodeSpec, collection: Outcomes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.collection = collection
        self.outcome: NodeOutcome | None = None
        self.add_marker("dbt")
        for tag in spec.tags:
            self.add_marker(tag)
        # JUnit carries the node's unique id, so CI tools can match testcases to dbt nodes.
        self.user_properties.append(("dbt_unique_id", spec.unique_id))

    def setup(self) -> None:
        self.outcome = self.collection.outcome_for(self)
        outcome = self.outcome
        # A node dbt skipped for an ephemeral model is broken only when it carries that model's
        # own compilation error (one child does: session/build.py); the others are dbt's skips.
        broken = outcome.status in (Status.ERROR, Status.MISSING) or (
            outcome.result is not None and outcome.result.ephemeral_parent is not None
            and outcome.build_error is not None
        )
        if outcome.status == Status.SKIPPED and not broken:
            # A YAML file holds many nodes: `-rs` prints file:line, so the reason names the node.
            which = (f" ({self.spec.kind_name} {self.spec.name})"
                     if self.spec.original_file_path.endswith((".yml", ".yaml")) else "")
            upstream = ", ".join(outcome.upstream_failures)
            if upstream:
                pytest.skip(f"skipped by dbt: upstream {upstream} failed{which}")
            message = outcome.message
            pytest.skip(f"skipped by dbt{': ' + message if message else ''}{which}")
        # A node dbt never reported could not run, whatever stopped the build (a server that
        # did not answer is an execution error, yet nothing was executed): never a pass.
        if broken and (outcome.status == Status.MISSING or Kind.of(outcome.kind).info.when_errored == "error"):
            raise DbtNodeError(self, outcome)

    def runtest(self) -> None:
        outcome = self.outcome
        assert outcome is not None
        if outcome.status == Status.WARN:
            result = outcome.result
            message = (result.message if result else None) or (
                f"Got {outcome.failures} result(s), configured to warn"
            )
            # Attributed to the node's line in its file (1-based, as warnings count; 0: the file).
            warnings.warn_explicit(
                DbtTestWarning(f"dbt {self.spec.kind_name} {self.spec.name}: {message}"),
                DbtTestWarning, str(self.path), 0 if self.spec.line is None else self.spec.line + 1,
            )
        elif outcome.status not in PASSING:  # a failing test, an errored node, a partial microbatch...
            raise DbtNodeFailure(self, outcome)
        elif outcome.status == Status.SUCCESS and self.spec.golden:
            failure = self.collection.golden_failure(self)
            if failure is not None:
                raise DbtRegressionFailure(failure)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, DbtNodeProblem):
            return excinfo.value.render()
        if isinstance(excinfo.value, DbtRegressionFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, self.spec.line, f"dbt {self.spec.kind_name} {self.spec.name}"
