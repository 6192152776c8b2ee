"""dbt's artifacts written as dbt writes them, in its own JSON, by the C encoder.

dbt writes ``manifest.json`` and ``run_results.json`` with ``json.dump`` to the open file, which
streams through the pure-Python encoder: on a 1,000-model project (PlanAlign) about 0.2 s per
``manifest.json``, a third of an in-process call. ``json.dumps`` gives the very same text through
the C encoder in a fifth of the time. While we write, dbt's writer (``write_json`` as
the artifact modules imported it) is that: the bytes are dbt's, the time is not.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Iterator
from typing import Any


def _write_json(path: str, data: dict[str, Any]) -> bool:
    """``dbt_common.clients.system.write_json``, one ``json.dumps`` then one write."""
    from dbt_common.clients.system import convert_path, make_directory
    from dbt_common.utils.encoding import JSONEncoder

    path = convert_path(path)
    text = json.dumps(data, cls=JSONEncoder)
    make_directory(os.path.dirname(path))
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return True


# Where dbt's artifact classes took ``write_json`` from (``from dbt_common.clients.system import
# write_json``): the base of every artifact, and run_results.json's own writer.
WRITERS = ("dbt.artifacts.schemas.base", "dbt.artifacts.schemas.run.v5.run")


@contextlib.contextmanager
def one_shot_json() -> Iterator[None]:
    """dbt's artifact writers encode with the C encoder inside this block (callers hold the
    process-wide dbt lock: no dbt invocation runs beside it)."""
    import importlib

    from dbt_common.clients import system

    swapped = []
    for name in WRITERS:
        module = importlib.import_module(name)
        if getattr(module, "write_json", None) is system.write_json:
            module.write_json = _write_json  # type: ignore[attr-defined]
            swapped.append(module)
    try:
        yield
    finally:
        for module in swapped:
            module.write_json = system.write_json  # type: ignore[attr-defined]


def write_manifest(manifest: Any, path: Any) -> None:
    """Write a parsed ``Manifest`` as dbt writes ``manifest.json`` (``Manifest.write``): the
    reference a later ``--state`` compares with."""
    with one_shot_json():
        manifest.write(str(path))


def write_run_artifacts(result: Any, manifest: Any, target_path: Any, with_manifest: bool) -> None:
    """What a runnable task writes as it ends with ``--write-json`` (``GraphRunnableTask.run``):
    ``run_results.json`` from its result, and (``with_manifest``) ``manifest.json`` with
    ``semantic_manifest.json`` (``dbt.parser.manifest.write_manifest``). The result's ``args``
    say ``write_json: true`` and its command has no ``--no-write-json``, as dbt's own file."""
    from dbt.parser.manifest import write_manifest as dbt_write_manifest

    with one_shot_json():
        if with_manifest:
            dbt_write_manifest(manifest, str(target_path))
        _write_run_results(result, target_path)


def _write_run_results(result: Any, target_path: Any) -> None:
    if hasattr(result, "write") and dataclasses.is_dataclass(result) and not isinstance(result, type):
        args = {**(getattr(result, "args", None) or {}), "write_json": True}
        if "invocation_command" in args:  # without the flag the executor added to write these itself
            args["invocation_command"] = str(args["invocation_command"]).replace(" --no-write-json", "")
        copy: Any = dataclasses.replace(result, args=args)
        copy.write(os.path.join(str(target_path), "run_results.json"))
