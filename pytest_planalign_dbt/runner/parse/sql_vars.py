"""Where a SQL file's vars shape dbt's parse, and where they only shape the SQL it runs.

dbt parses a SQL model by rendering its Jinja once to capture the ``ref``, ``source`` and
``config`` calls it makes; the rendered text itself is discarded (the node keeps its raw code and
is compiled again when it runs). A var read only as a bare output, ``{{ var('rate') }}`` (or with a
literal default), can change neither which calls happen nor their arguments: a parse made with
another value is this one's. That holds when nothing else in the file is dynamic, which dbt's own
static extractor decides (``dbt_extractor``, the parser dbt tries first): with those outputs
replaced, it must read the file. A bare read without a default still needs the var defined (dbt
raises at parse time otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .yaml_vars import JINJA_COMMENT, jinja_code, var_names

LITERAL = r"-?\d+(?:\.\d+)?|'[^'{}]*'|\"[^\"{}]*\"|[Tt]rue|[Ff]alse|[Nn]one"
BARE_VAR = re.compile(
    r"\{\{-?\s*var\s*\(\s*(['\"])(?P<name>[\w.:-]+)\1\s*(?:,\s*(?P<default>" + LITERAL + r")\s*)?\)\s*-?\}\}"
)


@dataclass(frozen=True)
class SqlVarUse:
    """The vars a SQL file reads only as bare outputs (none of them shapes its parse)."""

    with_default: frozenset[str]
    need_definition: frozenset[str]


def value_only_reads(text: str) -> SqlVarUse | None:
    """The file's bare var reads, when they are all it reads and dbt's static extractor reads
    the rest; None when a var may shape the parse (or the extractor is not installed)."""
    text = JINJA_COMMENT.sub("", text)
    bare = list(BARE_VAR.finditer(text))
    if not bare:
        return None
    rest = BARE_VAR.sub("0", text)
    if var_names(jinja_code(rest)) or not _extracts(rest):
        return None
    with_default = frozenset(m["name"] for m in bare if m["default"] is not None)
    return SqlVarUse(with_default, frozenset(m["name"] for m in bare) - with_default)


def _extracts(sql: str) -> bool:
    try:
        from dbt_extractor import (  # a dbt-core dependency
            ExtractionError,
            py_extract_from_source,
        )
    except ImportError:  # pragma: no cover - dbt-core always brings it
        return False
    try:
        py_extract_from_source(sql)
    except ExtractionError:
        return False
    return True
