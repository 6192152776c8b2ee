"""PostgreSQL fixtures: a reachable server or a clear skip (a failure when CI requires it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

HOST = os.environ.get("PLANALIGN_PG_HOST", "127.0.0.1")
PORT = int(os.environ.get("PLANALIGN_PG_PORT", "5432"))
USER = os.environ.get("PLANALIGN_PG_USER", "postgres")
DATABASE = os.environ.get("PLANALIGN_PG_DATABASE", "postgres")
REQUIRED = os.environ.get("PLANALIGN_REQUIRE_POSTGRES") == "1"


def connect():  # type: ignore[no-untyped-def]
    import psycopg2

    return psycopg2.connect(host=HOST, port=PORT, user=USER, dbname=DATABASE,
                            password=os.environ.get("PLANALIGN_PG_PASSWORD", ""), connect_timeout=3)


@pytest.fixture(scope="session")
def postgres_server() -> None:
    """Skip (or fail, with PLANALIGN_REQUIRE_POSTGRES=1) when no server or no dbt-postgres."""
    why = None
    try:
        import dbt.adapters.postgres  # noqa: F401
    except ImportError:
        why = 'dbt-postgres is not installed: pip install "pytest-planalign-dbt[postgres]"'
    if why is None:
        try:
            connect().close()
        except Exception as exc:  # psycopg2.OperationalError and friends
            why = f"no PostgreSQL server at {HOST}:{PORT} ({str(exc).strip().splitlines()[0]})"
    if why is not None:
        if REQUIRED:
            pytest.fail(f"PLANALIGN_REQUIRE_POSTGRES=1 but {why}", pytrace=False)
        pytest.skip(why)


@pytest.fixture
def pg_schema(postgres_server: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh schema name for this test (PLANALIGN_PG_SCHEMA); it and its suffixed twins are dropped after."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("PLANALIGN_PG_SCHEMA", name)
    yield name
    con = connect()
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute("select nspname from pg_namespace where nspname like %s", (name + "%",))
        for (schema,) in cur.fetchall():
            cur.execute(f'drop schema if exists "{schema}" cascade')
    con.close()
