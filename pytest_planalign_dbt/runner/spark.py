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

import dataclasses
import importlib.util
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .failures.classify import classify_node
from .failures.errors import DbtConfigError

WAREHOUSE = "spark.sql.warehouse.dir"
JAVA_OPTIONS = "spark.driver.extraJavaOptions"
DERBY_HOME = "-Dderby.system.home="
INSTALL_JAVA = "apt-get install openjdk-17-jre-headless (or set JAVA_HOME to a Java 17 install)"
# What py4j says when the JVM of this process is gone (killed, out of memory): no server to wait for.
LOST_JVM = re.compile(r"\[Errno 111\] Connection refused|Py4JNetworkError|Answer from Java side is empty")
LOST_JVM_WORDS = "Spark's JVM in this process is gone (py4j could not reach it)"


def is_session(output: Mapping[str, Any]) -> bool:
    """A dbt-spark target that runs Spark inside the dbt process."""
    return output.get("type") == "spark" and str(output.get("method", "")).lower() == "session"


def check_session(output: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> None:
    """Refuse, before dbt starts, a session target this machine cannot start: no pyspark (the
    ``spark`` extra), or no Java for its JVM."""
    if not is_session(output):
        return
    if importlib.util.find_spec("pyspark") is None:
        raise DbtConfigError(
            'the target runs Spark in this process (method: session) but pyspark is not installed: '
            'pip install "pytest-planalign-dbt[spark]"'
        )
    if java(environ if environ is not None else os.environ) is None:
        raise DbtConfigError(f"the target runs Spark in this process (method: session), which needs Java: {INSTALL_JAVA}")


def java(environ: Mapping[str, str]) -> str | None:
    """The ``java`` pyspark would start: ``$JAVA_HOME/bin/java``, else the first on PATH."""
    home = environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if os.access(candidate, os.X_OK) else None
    return shutil.which("java", path=environ.get("PATH", os.defpath))


def isolate(output: dict[str, Any], project_dir: Path, suffix: str) -> None:
    """Give a session target's metastore and warehouse directories of their own (in place)."""
    params = dict(output.get("server_side_parameters") or {})
    home = project_dir / "target" / f"spark{suffix}"
    warehouse = params.get(WAREHOUSE)
    params[WAREHOUSE] = _own(warehouse, project_dir, suffix) if warehouse else str(home / "warehouse")
    options = str(params.get(JAVA_OPTIONS, ""))
    words = options.split()
    derby = next((w for w in words if w.startswith(DERBY_HOME)), None)
    if derby is None:
        words.append(DERBY_HOME + str(home / "metastore"))
    else:
        words[words.index(derby)] = DERBY_HOME + _own(derby[len(DERBY_HOME):], project_dir, suffix)
    params[JAVA_OPTIONS] = " ".join(words)
    output["server_side_parameters"] = params


def _own(path: str, project_dir: Path, suffix: str) -> str:
    """A user's directory made absolute (against the project) and given the suffix."""
    absolute = Path(path).expanduser()
    if not absolute.is_absolute():
        absolute = project_dir / absolute
    return str(absolute) + suffix


def explain_lost_jvm(inv: Any, info: Any, target: str | None) -> None:
    """A failed invocation on a session target (``info``'s ``target``) whose JVM died: py4j's
    "Connection refused" reads as a busy server, and would be retried in vain; name it (an
    execution error, not retried). A session that was only stopped needs nothing: dbt-spark starts
    a new one on the next call. Successes cost nothing (the profile is read on failure only)."""
    if not inv.return_code or not is_session(info.target_output(target)):
        return

    def said(text: str | None) -> str | None:
        return LOST_JVM.sub(LOST_JVM_WORDS, text) if text else text

    inv.fatal, inv.stderr = said(inv.fatal), said(inv.stderr) or ""
    inv.nodes = [dataclasses.replace(n, message=said(n.message),
                                     error_class=classify_node(n.status, said(n.message), n.resource_type))
                 if n.message and LOST_JVM.search(n.message) else n for n in inv.nodes]
