"""DbtResult and NodeResult, built from dbt's results.

dbt documents its in-process result objects as "not fully contracted", so every
read of them (and of run_results.json, their on-disk twin) lives in this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .failures.classify import classify_node
from .failures.errors import DbtError
from .failures.kinds import EPHEMERAL_ERROR, FAILED, Status


@dataclass(frozen=True)
class NodeResult:
    """The outcome of one dbt node (model, seed, snapshot, test...)."""

    unique_id: str
    name: str
    resource_type: str
    status: str
    message: str | None = None
    failures: int | None = None
    execution_time: float = 0.0
    compiled_path: str | None = None
    error_class: str | None = None
    original_file_path: str | None = None
    relation_name: str | None = None
    # The SQL dbt compiled for this node in this invocation (None: it compiled none, e.g. skipped).
    compiled_code: str | None = field(default=None, repr=False)

    @property
    def ephemeral_parent(self) -> str | None:
        """For a node dbt skipped because an ephemeral model it inlines failed to compile,
        that model's unique id ("ERROR SKIP" in dbt's log; the run fails)."""
        if self.status != Status.SKIPPED or not self.message:
            return None
        found = EPHEMERAL_ERROR.search(self.message)
        return found["model"] if found else None

    @property
    def failed(self) -> bool:
        return self.status in FAILED or self.ephemeral_parent is not None

    @property
    def is_hook(self) -> bool:
        """An on-run-start / on-run-end hook (dbt reports them as "operation" nodes)."""
        return self.resource_type == "operation"

    def headline(self) -> str:
        """``model m (models/m.sql): error``."""
        where = f" ({self.original_file_path})" if self.original_file_path else ""
        return f"{self.resource_type} {self.name}{where}: {self.status}"

    def describe(self) -> str:
        """The headline and dbt's message on one line (cut at 300 characters)."""
        msg = (self.message or "").strip().replace("\n", " | ")
        if len(msg) > 300:
            msg = msg[:297] + "..."
        return f"{self.headline()}: {msg}"


@dataclass(frozen=True)
class ParseInfo:
    """How a call got its manifest: "memory" (kept in this process), "partial" (dbt re-parsed
    what changed since a kept or derived parse), or "full" (dbt parsed the whole project)."""

    kind: str
    seconds: float = 0.0
    # Why dbt parsed the whole project (dbt's own words), for a full parse.
    reason: str | None = None


@dataclass
class DbtResult:
    """The outcome of one dbt command (the orchestrator's first six fields, in order)."""

    success: bool
    stdout: str
    stderr: str
    execution_time: float
    return_code: int
    command: list[str]
    nodes: list[NodeResult] = field(default_factory=list)
    error: DbtError | None = None
    attempts: int = 1
    invocation_id: str | None = None
    log_path: str | None = None
    # The command's own output: `ls` lines, `show` previews (JSON text).
    output: list[str] = field(default_factory=list)
    # on-run-start / on-run-end hooks, apart from the nodes the command selected.
    hooks: list[NodeResult] = field(default_factory=list)
    # `dbt show` rows with their types, when dbt ran in-process (a subprocess gives JSON text).
    rows: list[dict[str, Any]] | None = None
    # How the call got its manifest (in-process; None for a subprocess, or a command that needs none).
    parse: ParseInfo | None = None

    @property
    def failed_nodes(self) -> list[NodeResult]:
        """Failed nodes and failed hooks."""
        return [n for n in (*self.nodes, *self.hooks) if n.failed]

    def node(self, name: str) -> NodeResult | None:
        """The result of the node called ``name`` (or with that unique id)."""
        return next((n for n in self.nodes if name in (n.name, n.unique_id)), None)


def _text(value: Any) -> str:
    """A dbt status enum or string as plain lowercase text."""
    value = getattr(value, "value", value)
    return str(value).lower() if value is not None else ""


def _name_from_unique_id(unique_id: str) -> tuple[str, str]:
    parts = unique_id.split(".")
    resource_type = parts[0] if parts else "node"
    name = parts[2] if len(parts) > 2 else unique_id
    return resource_type, name


def _existing(path: str | None) -> str | None:
    """Only a compiled file that exists is worth pointing at (a compile error writes none).

    Never raises: a report helper must not take a build down (a path too long for the
    file system is simply not there).
    """
    try:
        return path if path and Path(path).is_file() else None
    except (OSError, ValueError):
        return None


def this_runs_file(path: str | None, code: str | None, status: str) -> str | None:
    """The compiled file, only when it holds what dbt compiled for this node in this invocation:
    a node dbt did not compile now (skipped, a compile error) has none, and a file an earlier run
    or a same-named node wrote over is not shown as this node's (checked for failed nodes, the
    ones whose file a report names)."""
    existing = _existing(path) if code else None
    if existing is None or code is None or status not in FAILED | {Status.WARN}:
        return existing
    try:
        same = Path(existing).read_text(encoding="utf-8", errors="replace").strip() == code.strip()
    except OSError:
        return None
    return existing if same else None


def compiled_path_for(
    target_path: Path | None, package: str | None, original_file_path: str | None,
    node_path: str | None,
) -> str | None:
    """Where dbt writes a node's compiled SQL, when dbt did not say (e.g. a skipped node).

    Built from the node's ``path``, never its name: dbt shortens and hashes the file
    name of a generic test whose name is long (the name itself can pass 255 bytes).
    Nodes defined in YAML (generic tests) or dbt_project.yml (hooks) are compiled to
    ``<original_file_path>/<path>``; files of their own to ``<original_file_path>``.
    """
    if target_path is None or not package or not original_file_path:
        return None
    rel = Path(original_file_path)
    if rel.suffix in (".yml", ".yaml"):
        if not node_path:
            return None
        rel = rel / node_path
    return str(target_path / "compiled" / package / rel)


def with_failed_batches(message: str | None, batches: Any) -> str | None:
    """A microbatch model's message with the windows of its failed batches (dbt says only
    "PARTIAL SUCCESS (3/4)"): ``batches`` is the result's ``batch_results``, object or JSON."""
    failed = getattr(batches, "failed", None) if not isinstance(batches, Mapping) else batches.get("failed")
    if not failed:
        return message
    def when(value: Any) -> str:
        return str(value.isoformat() if hasattr(value, "isoformat") else value)

    windows = ", ".join(f"[{when(start)}, {when(end)})" for start, end in failed)
    return f"{message or ''}\nfailed batches: {windows}; the dbt log says why; `dbt retry` runs them again".strip()


def node_from_run_result(result: Any, target_path: Path | None = None) -> NodeResult:
    """From one in-process dbt RunResult object."""
    node = result.node
    status = _text(result.status)
    message = with_failed_batches(result.message, getattr(result, "batch_results", None))
    resource_type = _text(getattr(node, "resource_type", "")) or "node"
    compiled = getattr(node, "compiled_path", None)
    code = getattr(node, "compiled_code", None) if getattr(node, "compiled", False) else None
    if compiled and target_path is not None and not Path(compiled).is_absolute():
        # dbt reports "target/compiled/..." relative to the project; keep it usable from anywhere.
        compiled = str(target_path.parent / compiled) if compiled.startswith("target") else compiled
    if not compiled:
        compiled = compiled_path_for(
            target_path, getattr(node, "package_name", None),
            getattr(node, "original_file_path", None), getattr(node, "path", None),
        )
    return NodeResult(
        unique_id=node.unique_id,
        name=node.name,
        resource_type=resource_type,
        status=status,
        message=message,
        failures=result.failures,
        execution_time=float(result.execution_time or 0.0),
        compiled_path=this_runs_file(compiled, code, status),
        error_class=classify_node(status, message, resource_type),
        original_file_path=getattr(node, "original_file_path", None),
        relation_name=getattr(node, "relation_name", None),
        compiled_code=code,
    )


def _plain(value: Any) -> Any:
    """agate's cell value as plain Python: integral Decimals as int, others as float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def rows_from_execution_result(result: Any) -> list[dict[str, Any]] | None:
    """The rows of a ``dbt show`` run in-process as the database returned them (DECIMAL as
    ``Decimal``, dates as dates; dbt_internals.keep_native_rows), or None."""
    tables: list[Any] = [t for r in getattr(result, "results", None) or []
                         if (t := getattr(r, "agate_table", None)) is not None]
    if not tables:
        return None
    rows: list[dict[str, Any]] = []
    for table in tables:
        native = getattr(table, "planalign_rows", None)  # dbt_internals.keep_native_rows
        if native is not None:
            rows.extend(dict(row) for row in native)
            continue
        names = list(table.column_names)
        rows.extend({n: _plain(v) for n, v in zip(names, row.values())} for row in table.rows)
    return rows


def nodes_from_execution_result(result: Any, target_path: Path | None = None) -> list[NodeResult]:
    results = getattr(result, "results", None) or []
    return [node_from_run_result(r, target_path) for r in results if getattr(r, "node", None)]


def nodes_from_run_results_json(
    data: Mapping[str, Any],
    manifest_nodes: Mapping[str, Mapping[str, Any]] | None = None,
    target_path: Path | None = None,
) -> list[NodeResult]:
    """From run_results.json (and manifest.json's nodes for names and paths)."""
    manifest_nodes = manifest_nodes or {}
    out = []
    for r in data.get("results", []):
        uid = r["unique_id"]
        info = manifest_nodes.get(uid, {})
        resource_type, name = _name_from_unique_id(uid)
        resource_type = info.get("resource_type", resource_type)
        name = info.get("name", name)
        status = _text(r.get("status"))
        message = with_failed_batches(r.get("message"), r.get("batch_results"))
        code = r.get("compiled_code") if r.get("compiled") else None
        compiled = info.get("compiled_path")
        if compiled and target_path is not None and compiled.startswith("target"):
            compiled = str(target_path.parent / compiled)
        if not compiled:
            compiled = compiled_path_for(
                target_path, info.get("package_name"), info.get("original_file_path"),
                info.get("path"),
            )
        out.append(
            NodeResult(
                unique_id=uid,
                name=name,
                resource_type=resource_type,
                status=status,
                message=message,
                failures=r.get("failures"),
                execution_time=float(r.get("execution_time") or 0.0),
                compiled_path=this_runs_file(compiled, code, status),
                error_class=classify_node(status, message, resource_type),
                original_file_path=info.get("original_file_path"),
                relation_name=r.get("relation_name") or info.get("relation_name"),
                compiled_code=code,
            )
        )
    return out


def read_run_results(
    target_path: Path, invocation_id: str | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """run_results.json and manifest.json, only if written by ``invocation_id``.

    A run that dies before writing results leaves the previous run's files in
    place; those must never be blamed for this run.
    """
    rr_path = target_path / "run_results.json"
    if invocation_id is None or not rr_path.is_file():
        return None, None
    try:
        data = json.loads(rr_path.read_text())
    except (OSError, ValueError):
        return None, None
    if data.get("metadata", {}).get("invocation_id") != invocation_id:
        return None, None
    manifest = None
    mf_path = target_path / "manifest.json"
    if mf_path.is_file():
        try:
            manifest = json.loads(mf_path.read_text())
        except (OSError, ValueError):
            manifest = None
    return data, manifest


def merge_nodes(earlier: Iterable[NodeResult], later: Iterable[NodeResult]) -> list[NodeResult]:
    """Results of a retry replace the first attempt's results for the same nodes."""
    merged = {n.unique_id: n for n in earlier}
    for n in later:
        merged[n.unique_id] = n
    return list(merged.values())


def disabled_names(manifest: Any, target_path: Path) -> list[str]:
    """Names of the project's disabled nodes (``enabled: false``), from a parsed manifest
    object, else from ``manifest.json``."""
    if manifest is not None:
        groups = (getattr(manifest, "disabled", None) or {}).values()
        return sorted({getattr(n, "name", "") for nodes in groups for n in nodes} - {""})
    try:
        data = json.loads((target_path / "manifest.json").read_text())
    except (OSError, ValueError):
        return []
    groups = (data.get("disabled") or {}).values()
    return sorted({n.get("name", "") for nodes in groups for n in nodes} - {""})


def enabled_names(manifest: Any, target_path: Path) -> list[str]:
    """Names of the project's enabled nodes (models, seeds, snapshots, tests), from a parsed
    manifest object, else from ``manifest.json``."""
    if manifest is not None:
        return sorted({getattr(n, "name", "") for n in (getattr(manifest, "nodes", None) or {}).values()} - {""})
    try:
        data = json.loads((target_path / "manifest.json").read_text())
    except (OSError, ValueError):
        return []
    return sorted({n.get("name", "") for n in (data.get("nodes") or {}).values()} - {""})
