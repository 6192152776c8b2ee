"""Option values from text (command line, env, ini): each converter raises ValueError saying
what to give instead. Pure: no pytest here, so every rule is testable on its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .runner import EXECUTORS, parse_vars_text, validate_simulation_year, validate_threads
from .session.coverage_render import parse_fail_under, parse_reports

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def path(text: str, base: Path) -> Path:
    """A path; a relative one is read against ``base`` (where the value came from)."""
    p = Path(text).expanduser()
    return p if p.is_absolute() else (base / p)


def selectors(text: str) -> tuple[str, ...]:
    parts = tuple(text.split())
    if not parts:
        raise ValueError("give at least one selector, e.g. 'int_*'")
    return parts


def boolean(text: str) -> bool:
    low = text.strip().lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise ValueError(f"use true or false, got {text!r}")


def retries(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"must be a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise ValueError(f"must be >= 0, got {value}")
    return value


def duration(text: str, zero_ok: bool) -> float:
    bound = ">= 0" if zero_ok else "> 0"
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value >= 0 if zero_ok else value > 0):  # also refuses nan
        raise ValueError(f"must be a number of seconds {bound}, got {text!r}")
    return value


def executor(text: str) -> str:
    if text not in EXECUTORS:
        raise ValueError(f"must be one of {', '.join(EXECUTORS)}, got {text!r}")
    return text


def year(text: str) -> int:
    try:
        return validate_simulation_year(int(text))
    except ValueError:
        raise ValueError(f"must be a whole number such as 2025, got {text!r}") from None


def non_empty(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text.strip()


def vars_mapping(text: str, example: str) -> dict[str, Any]:
    """A YAML or JSON mapping of vars; ``example``: one to suggest (the project's own vars)."""
    return parse_vars_text(text, what="the value", example=example)


def coverage_by(text: str) -> str:
    if text not in ("model", "folder"):
        raise ValueError(f"must be model or folder, got {text!r}")
    return text


def fail_under(text: str) -> str:
    """Checked here, kept as text (it crosses to xdist workers as it is)."""
    parse_fail_under(text)
    return text.strip()


# By option kind (``options.Opt.kind``); "path" needs its base (options._converter).
CONVERTERS: dict[str, Callable[[str], Any]] = {
    "str": non_empty, "selectors": selectors, "vars": parse_vars_text, "int": year,
    "threads": lambda t: validate_threads(t, "threads"), "retries": retries,
    "seconds": lambda t: duration(t, False), "delay": lambda t: duration(t, True),
    "bool": boolean, "executor": executor, "coverage_by": coverage_by, "fail_under": fail_under,
    "reports": parse_reports,
}
