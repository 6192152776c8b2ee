"""The artifacts of an in-process run (``--write-json``), written without rewriting what is on disk.

A runnable dbt task (build, run, test, seed, snapshot, clone, retry) rewrites ``manifest.json``
and ``run_results.json`` as it ends, every call: a cost that grows with the project, paid again
for the very parse whose manifest.json the previous call wrote. In-process the executor writes
them itself, as dbt does (``dbt_artifacts.write_run_artifacts``): ``run_results.json`` every call;
``manifest.json`` (and ``semantic_manifest.json``) when the call ran on another parse than the
one the file on disk was written from, or the file changed since. What a skipped rewrite leaves
different is the file's ``metadata`` (the earlier call's invocation id and time) and the
``compiled_code`` of nodes first compiled by later calls (their compiled SQL is in
``target/compiled/`` as always). ``DbtRunner(write_json="always")`` lets dbt write both, every call.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

from ..command import DbtCommand
from ..dbt_artifacts import write_run_artifacts
from ..files import write_failure

RUN_TASKS = frozenset({"build", "run", "test", "seed", "snapshot", "clone", "retry"})
MANIFEST = "manifest.json"
RUN_RESULTS = "run_results.json"


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class ManifestsOnDisk:
    """Which parse each target dir's manifest.json was last written from, by this executor."""

    def __init__(self) -> None:
        self._written: dict[Path, tuple[weakref.ref[Any], tuple[int, int] | None]] = {}

    @staticmethod
    def takes_over(command: DbtCommand) -> bool:
        """True when dbt would write the artifacts of ``command`` and this executor does instead."""
        return command.subcommand in RUN_TASKS and "--no-write-json" not in command.argv

    def is_current(self, manifest: Any, target_path: Path) -> bool:
        """True when ``target_path/manifest.json`` was written from ``manifest`` and is unchanged."""
        written = self._written.get(target_path)
        return (written is not None and written[0]() is manifest and written[1] is not None
                and written[1] == _stamp(target_path / MANIFEST))

    def write(self, result: Any, manifest: Any, target_path: Path) -> None:
        """run_results.json from ``result``; manifest.json unless the one on disk is this parse's."""
        if result is None:
            return  # dbt could not run: it writes nothing either
        with_manifest = manifest is not None and not self.is_current(manifest, target_path)
        staging: Path | None = None
        dest = target_path / (MANIFEST if with_manifest else RUN_RESULTS)  # the first dbt writes
        try:  # written beside, then moved in: a reader sees whole files, old or new
            target_path.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=target_path, prefix=".planalign-artifacts-"))
            write_run_artifacts(result, manifest, staging, with_manifest)
            for written in sorted(staging.iterdir()):
                dest = target_path / written.name
                os.replace(written, dest)
        except OSError as exc:
            raise write_failure(dest, exc) from exc
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
        if with_manifest:
            self._written[target_path] = (weakref.ref(manifest), _stamp(target_path / MANIFEST))
