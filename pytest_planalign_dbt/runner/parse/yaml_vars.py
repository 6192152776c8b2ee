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


def reads_any(names: set[str], changed: set[str]) -> bool:
    """True when ``names`` (``prefix*`` patterns among them) read one of ``changed``."""
    if names & changed:
        return True
    patterns = [n[:-1] for n in names if n.endswith("*")]
    return any(c.startswith(p) for p in patterns for c in changed)


class YamlVarUse:
    """The vars one schema file reads at parse time, and those read only when a test compiles."""

    def __init__(self) -> None:
        self.at_parse: set[str] = set()
        self.at_compile: set[str] = set()

    @classmethod
    def of(cls, text: str) -> YamlVarUse:
        """Raises UnseenName (a var by a non-literal name); a file that is not YAML reads every
        var it names at parse time."""
        use = cls()
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            use.at_parse |= var_names(jinja_code(text))
            return use
        use._walk(data, at_compile=False)
        return use

    def _walk(self, node: Any, at_compile: bool) -> None:
        if isinstance(node, str):
            names = var_names(jinja_code(node))
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
