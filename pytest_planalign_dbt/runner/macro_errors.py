"""What a failed render of Jinja SQL says: the macro and line it failed in, the closest macros.

dbt reports an inline query's Jinja error by its message only ("'x' is undefined", the text of
``exceptions.raise_compiler_error``), without the macro it came from. The macros the query
calls, and the macros those call (dbt's ``depends_on.macros``), are searched for the name or
the text the message quotes: the first line that holds it is named as ``file:line``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .failures.errors import DbtCompilationError, DbtError
from .failures.kinds import Kind

# dbt's words for a name Jinja could not resolve: a macro (or variable) that does not exist.
UNDEFINED = re.compile(
    r"'([\w.]+)' is undefined|has no attribute '(\w+)'|could not find a macro with the name '([\w.]+)'"
)
NO_FILTER = re.compile(r"No (?:filter|test) named '(\w+)'")
CALLED = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s*\(")


@dataclasses.dataclass(frozen=True)
class MacroSource:
    """A macro's name, package, file and text, from a parse or from ``manifest.json``."""

    name: str
    package: str
    path: str = ""  # original_file_path, as dbt names it
    file: Path | None = None  # where it is on disk
    sql: str = ""  # the macro's block, as in its file
    calls: tuple[str, ...] = ()  # unique ids of the macros it calls

    @classmethod
    def of(cls, macro: Any, file: Path | None) -> MacroSource:
        depends = getattr(getattr(macro, "depends_on", None), "macros", None) or ()
        return cls(macro.name, macro.package_name, macro.original_file_path or "", file,
                   macro.macro_sql or "", tuple(depends))

    @classmethod
    def from_json(cls, data: Mapping[str, Any], file: Path | None) -> MacroSource:
        return cls(str(data.get("name", "")), str(data.get("package_name", "")),
                   str(data.get("original_file_path") or ""), file,
                   str(data.get("macro_sql") or ""), tuple((data.get("depends_on") or {}).get("macros") or ()))

    def unqualified(self, root: str | None) -> bool:
        """Called by its bare name: a macro of the root project, of dbt, or of the adapter (a
        package installed with Python, not by ``dbt deps``)."""
        installed_with_python = self.file is not None and bool({"site-packages", "dist-packages"} & set(self.file.parts))
        return self.package in (root, "dbt") or installed_with_python

    def line_of(self, needle: str) -> int | None:
        """The line of its file where ``needle`` first appears inside the macro (None: nowhere,
        or the file no longer holds the macro as parsed)."""
        at = self.sql.find(needle)
        if at < 0:
            return None
        try:
            text = self.file.read_text(encoding="utf-8") if self.file else ""
        except OSError:
            return None
        start = text.find(self.sql)
        return None if start < 0 else text[:start].count("\n") + self.sql[:at].count("\n") + 1


def macro_names(macros: Mapping[str, MacroSource], root: str | None) -> list[str]:
    """The names a Jinja call can use: the root project's and dbt's own macros (dbt's and its
    adapter's) by name, every installed package's as ``package.name``."""
    return sorted({m.name if m.unqualified(root) else f"{m.package}.{m.name}" for m in macros.values()})


def closest(wanted: str, names: Sequence[str], n: int = 5) -> list[str]:
    """The names most like ``wanted``, whole or by the part after the package."""
    short = wanted.rpartition(".")[2]

    def score(name: str) -> float:
        whole = difflib.SequenceMatcher(None, wanted, name).ratio()
        return max(whole, difflib.SequenceMatcher(None, short, name.rpartition(".")[2]).ratio())

    scored = sorted(((score(name), name) for name in names), key=lambda p: (-p[0], p[1]))
    return [name for ratio, name in scored if ratio >= 0.6][:n]


def called_macros(sql: str, macros: Mapping[str, MacroSource], root: str | None) -> list[MacroSource]:
    """The macros ``sql`` calls by name, then the ones they call, in that order, each once."""
    by_name: dict[str, str] = {}
    for uid, m in macros.items():
        by_name.setdefault(f"{m.package}.{m.name}", uid)
        if m.package == root:  # the root project's macros win over dbt's of the same name
            by_name[m.name] = uid
        elif m.unqualified(root):
            by_name.setdefault(m.name, uid)
    order = [by_name[name] for name in CALLED.findall(sql) if name in by_name]
    seen: list[str] = []
    while order:
        uid = order.pop(0)
        if uid in seen or uid not in macros:
            continue
        seen.append(uid)
        order.extend(macros[uid].calls)
    return [macros[uid] for uid in seen]


def _needles(message: str) -> list[str]:
    """What the failed Jinja would read in its source: the unresolved name, the missing filter,
    or the text a ``raise_compiler_error`` gave."""
    found = UNDEFINED.search(message) or NO_FILTER.search(message)
    if found:
        return [next(g for g in found.groups() if g).rpartition(".")[2]]
    body = [line.strip() for line in message.splitlines()[1:] if line.strip()]
    return [body[0]] if body else []


def where_it_failed(sql: str, message: str, macros: Mapping[str, MacroSource], root: str | None) -> str | None:
    """``in macro name (path:line)`` for the first macro the query calls whose source holds
    what the message quotes; None when none does (the error is in the query itself)."""
    for needle in _needles(message):
        for macro in called_macros(sql, macros, root):
            line = macro.line_of(needle)
            if line is not None:
                return f"in macro {macro.package}.{macro.name} ({macro.path}:{line})"
    return None


def explain(exc: DbtError, sql: str | None, macros: Callable[[], Mapping[str, MacroSource]],
            root: str | None) -> DbtError:
    """``exc`` as a DbtCompilationError naming where its Jinja failed and, for a name dbt could
    not resolve, the closest macros; other errors unchanged."""
    if exc.kind is not Kind.COMPILATION:
        return exc
    known = macros()
    message, fixes = exc.dbt_message, []
    where = where_it_failed(sql, message, known, root) if sql else None
    if where:
        message += f"\n  {where}"
        fixes.append(f"fix the Jinja {where}")
    unresolved = UNDEFINED.search(exc.dbt_message)
    if not where and sql:
        message += f"\n  inline SQL: {sql}"
        if not unresolved:
            fixes.append("fix the Jinja of the SQL given to render()/query() (dbt's message names the line)")
    if unresolved:
        wanted = next(g for g in unresolved.groups() if g)
        qualified = re.search(rf"(\w+)\.{re.escape(wanted)}\s*\(", sql or "")
        if qualified:  # `package.name(...)`: dbt names only the part after the package
            wanted = f"{qualified[1]}.{wanted}"
        near = closest(wanted, macro_names(known, root))
        fixes.append(f"no macro named {wanted!r}; the closest: {', '.join(near)}" if near else
                     f"no macro named {wanted!r}: check its name and package, and run `dbt deps` for packages")
    return DbtCompilationError(message, nodes=exc.nodes, result=exc.result, fix="; ".join(fixes) or exc.fix)
