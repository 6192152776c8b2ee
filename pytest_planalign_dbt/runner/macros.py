"""Macros and Jinja SQL from Python: render it, query it, call a macro, run an operation.

Each is one dbt call on the runner's executor, with dbt's own Jinja context (adapter, ``target``,
``var``, ``ref``, the packages' macros): ``render`` is ``dbt compile --inline`` (its compiled SQL),
``query`` is ``dbt show --inline`` (rows; typed in-process), ``macro`` renders ``{{ name(args) }}``,
``run_operation`` is ``dbt run-operation``. In-process they reuse the kept parse: an inline query
is not a file of the project, so it parses nothing again.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .failures.errors import DbtCommandError, DbtError, DbtExecutionError
from .arguments import call_vars
from .macro_errors import MacroSource, explain

if TYPE_CHECKING:
    from .parts import Calls
    from .reading import Reader
    from .results import DbtResult

# A macro as Jinja calls it: ``name`` or ``package.name``.
MACRO_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)?")
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


class Jinja(str):
    """A macro argument given as Jinja code, not as a value: ``Jinja("ref('orders')")``."""


def jinja_literal(value: Any) -> str:
    """``value`` as a Jinja expression that evaluates to it (``Jinja`` text as it is)."""
    if isinstance(value, Jinja):
        return str(value)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes are Jinja's
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(jinja_literal(v) for v in value) + "]"
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return "{" + ", ".join(f"{json.dumps(k)}: {jinja_literal(v)}" for k, v in value.items()) + "}"
    raise DbtCommandError(
        f"a macro argument must be a str, int, finite float, bool, None, list or dict with str keys, "
        f"got {value!r}: pass an expression as Jinja(...), e.g. Jinja(\"ref('orders')\")"
    )


def macro_call(name: str, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None) -> str:
    """The Jinja that renders macro ``name`` (``package.name`` too) with these arguments."""
    if not isinstance(name, str) or not MACRO_NAME.fullmatch(name):
        raise DbtCommandError(
            f"macro name must be `name` or `package.name` (letters, digits, '_'), got {name!r}"
        )
    parts = [jinja_literal(v) for v in args]
    for key, value in (kwargs or {}).items():
        if not IDENTIFIER.fullmatch(key):
            raise DbtCommandError(f"macro keyword argument names must be identifiers, got {key!r}")
        parts.append(f"{key}={jinja_literal(value)}")
    return "{{ " + f"{name}({', '.join(parts)})" + " }}"


def _text(jinja_sql: Any) -> str:
    if not isinstance(jinja_sql, str) or not jinja_sql.strip():
        raise DbtCommandError(f"Jinja SQL must be a non-empty string, got {jinja_sql!r}")
    return jinja_sql


class Macros:
    """DbtRunner's macro methods: ``render``, ``query``, ``macro``, ``run_operation``."""

    def __init__(self, calls: Calls, reader: Reader) -> None:
        self.calls = calls
        self.reader = reader

    def render(self, jinja_sql: str, *, dbt_vars: Mapping[str, Any] | None = None,
               vars: Mapping[str, Any] | None = None) -> str:
        """dbt's compiled SQL for ``jinja_sql``, as ``dbt compile --inline`` gives it."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        dbt_vars = call_vars("render", dbt_vars, vars, frames=2)
        sql = _text(jinja_sql)
        try:
            result = self.calls.execute_command(
                ["compile", "--inline", sql, "--no-write-json"], description="Rendering Jinja SQL through dbt",
                dbt_vars=dbt_vars, stream_output=False,
            )
        except DbtError as exc:
            raise self._explained(exc, sql) from None
        return result.output[-1] if result.output else ""

    def query(self, jinja_sql: str, *, dbt_vars: Mapping[str, Any] | None = None,
              limit: int | None = None, vars: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The rows ``jinja_sql`` returns (``dbt show --inline``; all of them unless ``limit``)."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        dbt_vars = call_vars("query", dbt_vars, vars, frames=2)
        sql = _text(jinja_sql)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise DbtCommandError(f"limit must be a whole number >= 0 or None (all rows), got {limit!r}")
        try:
            return self.reader.show(inline=sql, limit=-1 if limit is None else limit, dbt_vars=dbt_vars)
        except DbtExecutionError as exc:
            raise self._with_rendered_sql(exc, sql, dbt_vars) from None
        except DbtError as exc:
            raise self._explained(exc, sql) from None

    def macro(self, name: str, *args: Any, **kwargs: Any) -> str:
        """Macro ``name`` (``package.name`` too) rendered with these arguments, its text stripped
        of surrounding whitespace; arguments are values, or Jinja code as ``Jinja("...")``."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        return self.render_macro(name, args, kwargs)

    def render_macro(self, name: str, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None,
                     *, dbt_vars: Mapping[str, Any] | None = None, vars: Mapping[str, Any] | None = None) -> str:
        """``macro`` with the arguments as a sequence and a mapping, and the call's vars."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        dbt_vars = call_vars("render_macro", dbt_vars, vars, frames=2)
        return self.render(macro_call(name, args, kwargs), dbt_vars=dbt_vars).strip()

    def run_operation(self, name: str, args: Mapping[str, Any] | None = None, *,
                      dbt_vars: Mapping[str, Any] | None = None, vars: Mapping[str, Any] | None = None) -> DbtResult:
        """``dbt run-operation name --args ...``: its result (``stdout`` holds what the macro logged)."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        dbt_vars = call_vars("run_operation", dbt_vars, vars, frames=2)
        macro_call(name)  # the name's shape, before dbt starts
        if args is not None and not isinstance(args, Mapping):
            raise DbtCommandError(f"run_operation args must be a mapping of the macro's arguments, got {args!r}")
        argv = ["run-operation", name, *(["--args", json.dumps(dict(args), default=str)] if args else [])]
        try:
            return self.calls.execute_command(argv, description=f"Running macro {name}", dbt_vars=dbt_vars,
                                        stream_output=False)
        except DbtError as exc:
            raise self._explained(exc, None) from None

    # -- errors ---------------------------------------------------------------------------

    def _explained(self, exc: DbtError, sql: str | None) -> DbtError:
        """``exc`` with where the Jinja failed (macro, file, line) and the closest macros to a
        name dbt could not resolve."""
        return explain(exc, sql, self._macros, self.calls.info.name)

    def _with_rendered_sql(self, exc: DbtExecutionError, sql: str, dbt_vars: Mapping[str, Any] | None) -> DbtError:
        """A database error of a query, with the SQL dbt sent (rendered again: it failed to run)."""
        try:
            rendered = self.render(sql, dbt_vars=dbt_vars)
        except DbtError:
            return exc
        return DbtExecutionError(f"{exc.dbt_message}\n  rendered SQL:\n{rendered}", nodes=exc.nodes,
                                 result=exc.result,
                                 fix="fix the SQL above (run it in the database to reproduce)")

    def _macros(self) -> dict[str, MacroSource]:
        """The parse's macros: in memory, else from ``manifest.json`` (the subprocess executor's)."""
        info = self.calls.info
        manifest = self.calls.executor.manifest()
        if manifest is not None:
            files = getattr(manifest, "files", {})
            return {uid: MacroSource.of(m, _full_path(files.get(m.file_id)) or
                                        info.node_file(m.package_name, m.original_file_path))
                    for uid, m in manifest.macros.items()}
        path = self.calls.artifacts_path / "manifest.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {uid: MacroSource.from_json(m, info.node_file(str(m.get("package_name", "")),
                                                             str(m.get("original_file_path") or "")))
                for uid, m in data.get("macros", {}).items()}


def _full_path(source_file: Any) -> Path | None:
    full = getattr(getattr(source_file, "path", None), "full_path", None)
    return Path(full) if full else None
