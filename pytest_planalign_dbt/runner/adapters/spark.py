"""Apache Spark in this process (dbt-spark's ``method: session``): what it needs, and where its
state lives.

A Spark session keeps a Hive metastore (embedded Derby: one process at a time) and a warehouse
directory on disk; by default both land in the working directory, which every xdist worker and
every dbt process of a run shares. The runner's private profiles copy (profiles.py) points each
at a directory of its own under the project's ``target/spark<suffix>/``, one per worker or
scenario; a user's own ``spark.sql.warehouse.dir`` or ``-Dderby.system.home`` is kept (made
absolute, and given the suffix). Static settings take effect when the process's first session
starts: scenarios of one process share its metastore, each in a schema of its own.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import Engine, matches
from .servers import TRANSIENT, isolate_schema

WAREHOUSE = "spark.sql.warehouse.dir"
JAVA_OPTIONS = "spark.driver.extraJavaOptions"
DERBY_HOME = "-Dderby.system.home="
INSTALL_JAVA = "apt-get install openjdk-17-jre-headless (or set JAVA_HOME to a Java 17 install)"
# What py4j says when the JVM of this process is gone (killed, out of memory): no server to wait for.
LOST_JVM = re.compile(r"\[Errno 111\] Connection refused|Py4JNetworkError|Answer from Java side is empty")
LOST_JVM_WORDS = "Spark's JVM in this process is gone (py4j could not reach it)"


# The Thrift transport of a server that went away or restarted.
THRIFT_LOST = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"TTransportException", r"TSocket read 0 bytes", r"Could not connect to any of"))


def is_session(output: Mapping[str, Any]) -> bool:
    """A dbt-spark target that runs Spark inside the dbt process."""
    return output.get("type") == "spark" and str(output.get("method", "")).lower() == "session"


def refusal(output: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> str | None:
    """Why this machine cannot start a session target (no pyspark, the ``spark`` extra; or no
    Java for its JVM), or None."""
    if not is_session(output):
        return None
    if importlib.util.find_spec("pyspark") is None:
        return ('the target runs Spark in this process (method: session) but pyspark is not installed: '
                'pip install "pytest-planalign-dbt[spark]"')
    if java(environ if environ is not None else os.environ) is None:
        return f"the target runs Spark in this process (method: session), which needs Java: {INSTALL_JAVA}"
    return None


def java(environ: Mapping[str, str]) -> str | None:
    """The ``java`` pyspark would start: ``$JAVA_HOME/bin/java``, else the first on PATH."""
    home = environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if os.access(candidate, os.X_OK) else None
    return shutil.which("java", path=environ.get("PATH", os.defpath))


def serves(output: Mapping[str, Any]) -> bool:
    return output.get("type") == "spark"


def isolate(output: dict[str, Any], project_dir: Path, suffix: str) -> bool:
    """A schema of its own (as on any server); a session target's metastore and warehouse
    directories of their own too (in place)."""
    changed = isolate_schema(output, project_dir, suffix)
    if not is_session(output):
        return changed
    params = dict(output.get("server_side_parameters") or {})
    home = project_dir / "target" / f"spark{suffix}"
    warehouse = params.get(WAREHOUSE)
    params[WAREHOUSE] = _own(warehouse, project_dir, suffix) if warehouse else str(home / "warehouse")
    params[JAVA_OPTIONS] = _with_derby_home(str(params.get(JAVA_OPTIONS, "")), home, project_dir, suffix)
    output["server_side_parameters"] = params
    return True


def has_server(output: Mapping[str, Any]) -> bool:
    """A Thrift server or an HTTP endpoint (not Spark in this process, not ODBC's driver)."""
    return str(output.get("method", "")).lower() in ("thrift", "http")


def endpoint(output: Mapping[str, Any], rendered: Mapping[str, Any]) -> tuple[str, int] | None:
    """The Thrift server (``method: thrift``, port 10000 unless named) or the HTTP endpoint
    (``method: http``, 443) a target talks to; None for Spark in this process."""
    method = str(output.get("method", "")).lower()  # thrift or http: has_server said so
    host = rendered.get("host")
    if not isinstance(host, str) or not host:
        return None
    try:
        return host, int(rendered.get("port") or (10000 if method == "thrift" else 443))
    except (TypeError, ValueError):
        return None


def say_gone(output: Mapping[str, Any], message: str) -> str:
    """py4j's "Connection refused" from a session target's dead JVM reads as a busy server, and
    would be retried in vain: said as what it is. A session that was only stopped needs nothing:
    dbt-spark starts a new one on the next call."""
    return LOST_JVM.sub(LOST_JVM_WORDS, message) if is_session(output) else message


def _jinja(value: str) -> bool:
    return "{{" in value or "{%" in value


def _literal(text: str) -> str:
    """``text`` as a Jinja string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _own(path: str, project_dir: Path, suffix: str) -> str:
    """A user's directory made absolute (against the project) and given the suffix; one written
    in Jinja (``{{ env_var('X') }}/wh``) is rendered by dbt first, then treated the same way."""
    if _jinja(path):
        base = _literal(str(project_dir).rstrip("/") + "/")
        return ("{%- set _planalign_dir -%}" + path + "{%- endset -%}"
                "{{ (_planalign_dir if _planalign_dir.startswith(('/', '~')) else " + base
                + " ~ _planalign_dir) ~ " + _literal(suffix) + " }}")
    absolute = Path(path).expanduser()
    if not absolute.is_absolute():
        absolute = project_dir / absolute
    return str(absolute) + suffix


def _with_derby_home(options: str, home: Path, project_dir: Path, suffix: str) -> str:
    """The JVM options with Derby's home (the metastore) made the worker's own: the user's home
    made absolute and given the suffix, else one under ``home``. Options written in Jinja are
    rendered by dbt first, then their words rewritten the same way (in Jinja)."""
    default = DERBY_HOME + str(home / "metastore")
    if _jinja(options):
        base = _literal(str(project_dir).rstrip("/") + "/")
        return (
            "{%- set _planalign_opts -%}" + options + "{%- endset -%}"
            "{%- set _planalign = namespace(words=[], found=false) -%}"
            "{%- for w in _planalign_opts.split() -%}"
            "{%- if w.startswith(" + _literal(DERBY_HOME) + ") -%}"
            "{%- set d = w[" + str(len(DERBY_HOME)) + ":] -%}"
            "{%- set _planalign.found = true -%}"
            "{%- set _planalign.words = _planalign.words + [" + _literal(DERBY_HOME)
            + " ~ (d if d.startswith(('/', '~')) else " + base + " ~ d) ~ " + _literal(suffix) + "] -%}"
            "{%- else -%}{%- set _planalign.words = _planalign.words + [w] -%}{%- endif -%}"
            "{%- endfor -%}"
            "{%- if not _planalign.found -%}{%- set _planalign.words = _planalign.words + ["
            + _literal(default) + "] -%}{%- endif -%}"
            "{{ _planalign.words | join(' ') }}"
        )
    words = options.split()
    derby = next((w for w in words if w.startswith(DERBY_HOME)), None)
    if derby is None:
        words.append(default)
    else:
        words[words.index(derby)] = DERBY_HOME + _own(derby[len(DERBY_HOME):], project_dir, suffix)
    return " ".join(words)


ENGINE = Engine(
    name="spark",
    serves=serves,
    isolate=isolate,
    check=refusal,
    # A Thrift server is a server; its transport lost mid-query is worth another try (a session's
    # lost JVM is said ``gone`` first, and is not).
    transient=(*TRANSIENT, *THRIFT_LOST),
    fixes=(
        # Spark's analysis errors (AnalysisException), named by its error classes.
        matches(r"UNRESOLVED_COLUMN|cannot resolve '?`?\w",
                "a column the SQL names is not in its input: compare it with the upstream relation's columns "
                "(`dbt show --select <upstream>`) and fix the model's SQL"),
        matches(r"TABLE_OR_VIEW_NOT_FOUND|Table or view not found",
                "Spark has no such table or view: build the upstream node first (its schema and metastore are "
                "this run's), or fix the ref()/source() or the relation the SQL names"),
        matches(r"Spark's JVM in this process is gone|stopped SparkContext|Py4JNetworkError",
                "start a new process: Spark's JVM cannot be started again in this one (if it ran out of memory, "
                "raise spark.driver.memory in the profile's server_side_parameters)"),
    ),
    say_gone=say_gone,
    has_server=has_server,
    endpoint=endpoint,
)
