"""Where a schema YAML file reads vars: while dbt parses it, or only when a test compiles.

dbt renders most of a schema file when it parses it (configs, sources, descriptions, unit tests),
so a var read there shapes the parse. A generic test's *arguments* are the exception
(``parser/generic_test_builders.py`` and ``schema_generic_tests.py``): dbt keeps them as written
in the test's ``test_metadata.kwargs``, renders them only to collect the ``ref``s and ``source``s
they name, and renders them for real when the test compiles. A var read only in such arguments
(PlanAlign's ``expression: "simulation_year = {{ var('simulation_year') }}"``, ``min_value:``)
changes the test's SQL, not its parse: a parse for other vars serves it unchanged. An argument
that also names ``ref(`` or ``source(`` counts as read at parse time (its edges could move).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..layout import safe_load

# dbt's TestBuilder.CONFIG_ARGS (rendered at parse time) and the keys of a test entry that are
# no arguments; every other key of a generic test is an argument (under ``arguments:`` in 1.12).
CONFIG_ARGS = frozenset({"severity", "tags", "enabled", "where", "limit", "warn_if", "error_if", "fail_calc",
                         "store_failures", "store_failures_as", "sql_header", "meta", "database", "schema",
                         "alias"})
NOT_ARGUMENTS = CONFIG_ARGS | {"config", "name", "description", "column_name", "test_name"}
TEST_LISTS = frozenset({"data_tests", "tests"})
ANY_VAR = re.compile(r"\bvar\b")
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
JINJA_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
VAR_CALL = re.compile(r"\bvar\s*\(\s*(['\"])([^'\"]+)\1\s*[,)]")  # any name: "dbt_date:time_zone"
# var(name) with `{% set name = 'literal' %}` once in the same file; var('prefix_' ~ x).
VAR_BY_NAME = re.compile(r"\bvar\s*\(\s*([A-Za-z_]\w*)\s*[,)]")
SET_LITERAL = re.compile(r"\bset\s+([A-Za-z_]\w*)\s*=\s*(['\"])([A-Za-z_][\w.-]*)\2\s*-?%\}")
SET_ANY = re.compile(r"\bset\s+([A-Za-z_]\w*)\s*=")
VAR_PREFIX = re.compile(r"\bvar\s*\(\s*(['\"])([^'\"]+)\1\s*~")
EDGES = re.compile(r"\b(ref|source)\s*\(")
# A read by a literal name, its default if that is a literal (then the closing parenthesis).
LITERAL = r"-?\d+(?:\.\d+)?|'[^'\\]*'|\"[^\"\\]*\"|[Tt]rue|[Ff]alse"
VAR_READ = re.compile(rf"\bvar\s*\(\s*(['\"])([^'\"]+)\1\s*(?:,\s*({LITERAL})\s*)?(\))?")


class UnseenName(Exception):
    """A var read by a name that is not a literal: nothing finer than a full parse is sure."""


DOCS_BLOCK = re.compile(r"\{%-?\s*docs\s+[\w.]+\s*-?%\}(.*?)\{%-?\s*enddocs\s*-?%\}", re.DOTALL)


def docs_blocks(text: str) -> str:
    """What dbt reads of a Markdown file: its ``{% docs %}`` blocks (the rest is never rendered)."""
    return "\n".join(DOCS_BLOCK.findall(text))


def jinja_code(text: str) -> str:
    """The Jinja of a text, comments dropped (comments never run)."""
    return "\n".join(JINJA_CODE.findall(JINJA_COMMENT.sub("", text)))


def var_names(code: str) -> set[str]:
    """The vars a piece of code reads: literal names; a name held by a variable that one
    ``{% set x = 'literal' %}`` of the same file gives it; ``prefix*`` for ``var('prefix' ~ x)``.
    UnseenName when some read is none of these."""
    names = {m.group(2) for m in VAR_CALL.finditer(code)}
    assigned: dict[str, list[str]] = {}
    for m in SET_LITERAL.finditer(code):
        assigned.setdefault(m.group(1), []).append(m.group(3))
    sets = [m.group(1) for m in SET_ANY.finditer(code)]
    by_name = [m.group(1) for m in VAR_BY_NAME.finditer(code)]
    for variable in by_name:
        if len(assigned.get(variable, ())) != 1 or sets.count(variable) != 1:
            raise UnseenName(f"var({variable})")
        names.add(assigned[variable][0])
    prefixes = [m.group(2) for m in VAR_PREFIX.finditer(code)]
    names.update(f"{prefix}*" for prefix in prefixes)
    if len(ANY_VAR.findall(code)) != len(VAR_CALL.findall(code)) + len(by_name) + len(prefixes):
        raise UnseenName(code[:80])
    return names


def read_defaults(code: str) -> dict[str, set[str | None]]:
    """What each ``var('name', default)`` read of a piece of code falls back on, by name: the
    repr of a literal default (``2025``, ``'x'``, ``true``), None for a read without one or with
    a default that is no literal. Names read otherwise (``var(x)``) are var_names' business."""
    found: dict[str, set[str | None]] = {}
    for m in VAR_READ.finditer(code):
        literal = m.group(3) if m.group(4) else None
        found.setdefault(m.group(2), set()).add(None if literal is None else repr(_literal(literal)))
    return found


def _literal(text: str) -> Any:
    if text in ("true", "True", "false", "False"):
        return text.lower() == "true"
    if text[0] in "'\"":
        return text[1:-1]
    return float(text) if "." in text else int(text)


def reads_any(names: set[str], changed: set[str]) -> bool:
    """True when ``names`` (``prefix*`` patterns among them) read one of ``changed``."""
    if names & changed:
        return True
    patterns = [n[:-1] for n in names if n.endswith("*")]
    return any(c.startswith(p) for p in patterns for c in changed)


class ReadDefaults:
    """The one literal default every read of a var falls back on, over the files read at parse
    time other than SQL and Python (schema YAML, dbt_project.yml, docs).

    A var given on one side only is then the same there when the other side's value is that
    default: every such read of it resolves alike (PlanAlign's ``where: "simulation_year = {{ var('start_year',
    2025) }}"`` and a call giving ``start_year: 2025``). Not for a name some ``vars:`` block
    defines (it resolves there first), nor one that any read names otherwise (``var(x)``,
    ``var('prefix' ~ x)``) or reads without a default, or with another.
    """

    def __init__(self) -> None:
        self.reads: dict[str, set[str | None]] = {}
        self.prefixes: set[str] = set()

    def add(self, code: str, names: set[str]) -> None:
        """One file's code (Jinja, or a Python model) and the names var_names found in it."""
        found = read_defaults(code)
        for name, values in found.items():
            self.reads.setdefault(name, set()).update(values)
        for name in names:
            if name.endswith("*"):
                self.prefixes.add(name[:-1])
            elif name not in found:  # read through a variable: its default is unknown
                self.reads.setdefault(name, set()).add(None)

    def merge(self, other: ReadDefaults) -> None:
        for name, values in other.reads.items():
            self.reads.setdefault(name, set()).update(values)
        self.prefixes |= other.prefixes

    def shared(self, defined: set[str]) -> dict[str, str]:
        """Name -> the repr of the one literal default all its reads share."""
        return {name: value for name, values in self.reads.items()
                if len(values) == 1 and (value := next(iter(values))) is not None and name not in defined
                and not any(name.startswith(prefix) for prefix in self.prefixes)}


class YamlVarUse:
    """The vars one schema file reads at parse time, and those read only when a test compiles."""

    def __init__(self) -> None:
        self.at_parse: set[str] = set()
        self.at_compile: set[str] = set()
        self.defaults = ReadDefaults()  # of every read, wherever it is

    @classmethod
    def of(cls, text: str) -> YamlVarUse:
        """Raises UnseenName (a var by a non-literal name); a file that is not YAML reads every
        var it names at parse time."""
        use = cls()
        try:
            data = safe_load(text)
        except yaml.YAMLError:
            code = jinja_code(text)
            names = var_names(code)
            use.at_parse |= names
            use.defaults.add(code, names)
            return use
        use._walk(data, at_compile=False)
        return use

    def _walk(self, node: Any, at_compile: bool) -> None:
        if isinstance(node, str):
            code = jinja_code(node)
            names = var_names(code)
            self.defaults.add(code, names)
            (self.at_compile if at_compile and not EDGES.search(node) else self.at_parse).update(names)
        elif isinstance(node, list):
            for value in node:
                self._walk(value, at_compile)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in TEST_LISTS and isinstance(value, list) and not at_compile:
                    for entry in value:
                        self._test(entry)
                else:
                    self._walk(value, at_compile)

    def _test(self, entry: Any) -> None:
        """One entry of a ``data_tests:`` list: ``unique``, ``{name: {args}}`` or ``{test_name: ...}``."""
        if isinstance(entry, dict) and "test_name" not in entry and len(entry) == 1:
            entry = next(iter(entry.values()))
        if not isinstance(entry, dict):
            self._walk(entry, at_compile=False)
            return
        for key, value in entry.items():
            if key == "arguments" and isinstance(value, dict):
                self._walk(value, at_compile=True)
            else:
                self._walk(value, at_compile=key not in NOT_ARGUMENTS)
