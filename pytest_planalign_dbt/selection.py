"""What a session selects of a dbt project: one value, spelled for dbt, for caches and for the user.

``--dbt-select``, ``--dbt-exclude`` and ``--dbt-selector`` (or their ini twins, or the path
arguments made a ``path:`` selection) become one ``Selection``: ``argv()`` is what dbt is given,
``key()`` what the kept listing and Slim CI's reference are keyed by, ``spelled()`` how a
message says it back to the user, in the options they type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Selection:
    """The nodes a session selects, in dbt's selector syntax."""

    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    selector: str | None = None

    def __bool__(self) -> bool:
        """True when something is selected (an exclusion alone selects nothing)."""
        return bool(self.select or self.selector)

    def argv(self) -> list[str]:
        """dbt's flags: ``--select a b --exclude c --selector s``."""
        args: list[str] = []
        if self.select:
            args += ["--select", *self.select]
        if self.exclude:
            args += ["--exclude", *self.exclude]
        if self.selector:
            args += ["--selector", self.selector]
        return args

    def key(self) -> dict[str, Any]:
        """The selection in a cache key."""
        return {"select": self.select, "exclude": self.exclude, "selector": self.selector}

    def spelled(self) -> str:
        """As the user would type it: ``--dbt-select int_* --dbt-exclude int_x``."""
        given = [("--dbt-select", self.select), ("--dbt-exclude", self.exclude),
                 ("--dbt-selector", (self.selector,) if self.selector else ())]
        return " ".join(f"{flag} {' '.join(values)}" for flag, values in given if values)
