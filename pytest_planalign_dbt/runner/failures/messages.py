"""dbt's failure messages made readable: trimmed, and a node's block found in dbt's log lines."""

from __future__ import annotations

import re
from collections.abc import Iterable

_CSV_SETTING = re.compile(r"^\s+[a-z_]+ = ")
PROGRESS_LINE = re.compile(r"\s*\d+ of \d+ ")


def shorten(text: str, limit: int = 200) -> str:
    """User input echoed in a message, cut past ``limit`` characters (a 10,000-character
    selector is not worth reading twice)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"


def trim_message(message: str, limit: int = 25) -> list[str]:
    """dbt's message as lines worth reading: reader settings dropped, long ones cut.

    DuckDB's CSV errors append ~15 lines of reader settings (``delimiter = ,``...)
    before the lines that say what went wrong (column, set type, sniffed type):
    those settings are dropped so the useful lines survive the cut.
    """
    kept: list[str] = []
    for line in (line.rstrip() for line in message.strip().splitlines()):
        if _CSV_SETTING.match(line) or (not line.strip() and kept and not kept[-1].strip()):
            continue
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    if len(kept) > limit:
        more = len(kept) - (limit - 1)
        kept = [*kept[: limit - 1], f"... ({more} more line(s) in the dbt log)"]
    return kept


def failure_block(lines: Iterable[str], name: str, limit: int = 15) -> str:
    """dbt's printed failure block for node ``name`` ("Failure in model x" ... up to a blank
    line, a progress line or "compiled code at")."""
    out: list[str] = []
    for line in lines:
        if not out:
            # "Failure in model x (path)" (dbt 1.10, 1.11); "[ERROR]: in model x (path)" (1.12)
            if re.match(rf"\s*(?:Failure in|(?:\[ERROR\]:\s*)?in) \w+ {re.escape(name)} ", line):
                out.append(line.strip())
            continue
        if not line.strip() or PROGRESS_LINE.match(line) or len(out) > limit:
            break
        out.append(line.rstrip())
        if "compiled code at" in line:
            break
    return "\n".join(out[1:]).strip()


def render_failure(head: str, body: Iterable[str], *, compiled: str | None, fix: str,
                   tail: Iterable[str] = ()) -> str:
    """The one shape every failure is written in, a runner's DbtError and a pytest item alike:
    the head, dbt's message (and what else the body holds), where the compiled SQL is, the fix,
    then anything after it (failing rows)."""
    lines = [head, *body]
    if compiled:
        lines.append(f"  compiled SQL: {compiled}")
    lines.append(f"  fix: {fix}")
    lines.extend(tail)
    return "\n".join(lines)
