"""Database servers (PostgreSQL, and any engine no other module here serves): a schema per
worker, and the messages of a server that is busy or unreachable for a while.

Each xdist worker or scenario builds in a schema of its own (``analytics`` -> ``analytics_gw0``)
on the one database the profile names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import Engine

# Dropped or refused connections, a server starting or stopping, too many clients, a deadlock.
TRANSIENT = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"connection refused",
        r"could not connect to server",
        r"connection to server .* failed",
        r"server closed the connection unexpectedly",
        r"terminating connection due to administrator command",
        r"connection (was )?reset",
        r"connection already closed",
        r"SSL SYSCALL error",
        r"the database system is (starting up|shutting down|in recovery mode)",
        r"too many (connections|clients)",
        r"deadlock detected",
    )
)


# The port a server listens on when its profile names none.
DEFAULT_PORTS = {"postgres": 5432, "redshift": 5439}


def endpoint(output: Mapping[str, Any], rendered: Mapping[str, Any]) -> tuple[str, int] | None:
    """The server's host and port, as dbt renders them; None when the profile names no host."""
    host, port = rendered.get("host"), rendered.get("port") or DEFAULT_PORTS.get(str(output.get("type")))
    if not isinstance(host, str) or not host or port is None:
        return None
    try:
        return host, int(port)
    except (TypeError, ValueError):
        return None


def serves(output: Mapping[str, Any]) -> bool:
    return True  # the last resort: any engine that is not another module's


def isolate_schema(output: dict[str, Any], project_dir: Path, suffix: str) -> bool:
    """The output's ``schema`` given the worker's suffix (word characters only)."""
    schema = output.get("schema")
    if not suffix or not isinstance(schema, str) or not schema:
        return False
    output["schema"] = schema + re.sub(r"\W", "_", suffix)
    return True


ENGINE = Engine(name="server", serves=serves, isolate=isolate_schema, transient=TRANSIENT,
                has_server=lambda output: True, endpoint=endpoint)
