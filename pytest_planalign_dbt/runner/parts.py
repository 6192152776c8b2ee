"""DbtRunner is made of parts: the reading (``reading.Reader``) and the macros (``macros.Macros``)
each hold the runner they call through, as the ``Calls`` they need of it, and the runner hands
their methods on (``delegate``), so its methods are theirs with the same signature and docstring."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar

if TYPE_CHECKING:
    from .executors.base import Executor
    from .project import ProjectInfo
    from .results import DbtResult

P = ParamSpec("P")
R = TypeVar("R")
Part = TypeVar("Part")


class Calls(Protocol):
    """What a part of the runner needs of it: the project, the executor, one dbt call."""

    @property
    def info(self) -> ProjectInfo: ...
    @property
    def executor(self) -> Executor: ...
    @property
    def profiles_dir(self) -> Path | None: ...
    @property
    def target(self) -> str | None: ...
    @property
    def env(self) -> Mapping[str, str]: ...
    @property
    def artifacts_path(self) -> Path: ...

    def execute_command(self, command_args: Any, description: str = ..., simulation_year: int | None = ...,
                        dbt_vars: Mapping[str, Any] | None = ..., stream_output: bool = ...,
                        *args: Any, **kwargs: Any) -> DbtResult: ...


def delegate(method: Callable[Concatenate[Part, P], R], part: str) -> Callable[Concatenate[Any, P], R]:
    """``method`` of the part the runner keeps as attribute ``part``, as a method of the runner."""

    @functools.wraps(method)
    def call(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        return method(getattr(self, part), *args, **kwargs)

    return call
