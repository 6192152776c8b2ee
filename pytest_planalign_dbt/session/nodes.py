"""What the session knows of a dbt node before the build (NodeSpec) and after it (NodeOutcome)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..runner import DbtGraph, Kind, NodeResult, Status, label, node_selector, suggest_fix


@dataclass(frozen=True)
class NodeSpec:
    """A selected dbt node, as ``dbt ls`` describes it."""

    unique_id: str
    name: str
    resource_type: str
    original_file_path: str
    package_name: str
    tags: tuple[str, ...] = ()
    fqn: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    materialized: str | None = None
    # The project's own package (nodes of other packages live under dbt_packages/).
    root_package: str = ""
    # The key columns of the node's golden file (``meta: {golden: {key: [...]}}``), opt-in.
    golden: tuple[str, ...] = ()
    # Where in its file the node is written, 0-based (session/lines.py); None: the file itself.
    line: int | None = None
    # Set when another selected node has the same item name (dbt drops the punctuation of test
    # arguments from names): a short stable part of the unique id tells the two apart.
    twin: str = ""

    @classmethod
    def from_ls(cls, data: Mapping[str, Any], root_package: str = "", line: int | None = None) -> NodeSpec:
        depends = data.get("depends_on") or {}
        config = data.get("config") or {}
        return cls(
            unique_id=data["unique_id"],
            name=data["name"],
            resource_type=data["resource_type"],
            original_file_path=data.get("original_file_path") or "",
            package_name=data.get("package_name") or "",
            tags=tuple(data.get("tags") or ()),
            fqn=tuple(data.get("fqn") or ()),
            parents=tuple(depends.get("nodes") or ()),
            materialized=config.get("materialized") if isinstance(config, Mapping) else None,
            root_package=root_package,
            golden=_golden_key(config.get("meta") if isinstance(config, Mapping) else None),
            line=line,
        )

    @classmethod
    def hook(cls, package: str, hook_type: str, index: int, root_package: str = "",
             line: int | None = None) -> NodeSpec:
        """An on-run-start / on-run-end hook of ``package`` (dbt's operation node)."""
        name = f"{package}-{hook_type}-{index}"
        return cls(f"operation.{package}.{name}", name, "operation", "dbt_project.yml", package,
                   root_package=root_package, line=line)

    @property
    def item_name(self) -> str:
        """The pytest item's name: dbt's name, with the version of a versioned model."""
        parts = self.unique_id.split(".")
        name = self.name
        if self.resource_type == "model" and len(parts) == 4 and parts[3].startswith("v"):
            name = f"{self.name}.{parts[3]}"
        # Not name[mark]: pytest 9 reads a bracket in an id as parameters, and --lf would miss it.
        return f"{name}@{self.twin}" if self.twin else name

    @property
    def is_hook(self) -> bool:
        return self.resource_type == "operation"

    @property
    def twin_mark(self) -> str:
        """What tells this node from a same-named one: the hash dbt ends a test's unique id
        with, else a digest of the unique id (8 characters; the same on every run)."""
        last = self.unique_id.rsplit(".", 1)[-1]
        if len(last) == 10 and all(c in "0123456789abcdef" for c in last):
            return last[:8]
        return hashlib.sha256(self.unique_id.encode()).hexdigest()[:8]

    @property
    def ephemeral(self) -> bool:
        """dbt never runs an ephemeral model as a node: it inlines it into its children."""
        return self.materialized == "ephemeral"

    @property
    def kind_name(self) -> str:
        """How reports name the node's type ("model", "unit test", "hook"...)."""
        return "hook" if self.is_hook else self.resource_type.replace("_", " ")

    @property
    def selector(self) -> str:
        return node_selector(self.resource_type, self.package_name, self.name, self.fqn) or self.name


def _golden_key(meta: Any) -> tuple[str, ...]:
    """``meta: {golden: {key: [...]}}`` (or ``golden: {key: col}``) -> the key columns."""
    golden = meta.get("golden") if isinstance(meta, Mapping) else None
    key = golden.get("key") if isinstance(golden, Mapping) else None
    if isinstance(key, str):
        return (key,)
    return tuple(str(k) for k in key) if isinstance(key, list) else ()


@dataclass
class NodeOutcome:
    """What a dbt item reports: its node's result plus what the plugin adds."""

    unique_id: str
    status: str  # a Status: dbt's word for the node, or MISSING
    result: NodeResult | None = None
    execution_time: float = 0.0
    failures: int | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)
    upstream_failures: list[str] = field(default_factory=list)
    attempts: int = 1
    build_error: str | None = None
    # Set when the whole build timed out: the node failed because it was cancelled.
    stopped_by: str | None = None
    # The kind of the failure that kept dbt from reporting the node (a lock at start...).
    build_kind: Kind | None = None
    # The build's own fix for that failure (one fix line per report, never two).
    build_fix: str | None = None

    @property
    def kind(self) -> Kind | None:
        """The kind of the node's failure, or None when it did not fail."""
        if self.stopped_by is not None and self.status in (Status.ERROR, Status.MISSING):
            return Kind.of(self.stopped_by)
        if self.result is not None and self.result.error_class:
            return Kind.of(self.result.error_class)
        if self.status == Status.MISSING:
            return Kind.of(self.build_kind)
        return None

    @property
    def label(self) -> str:
        kind = self.kind
        words = label(kind)
        return words + " (retries exhausted)" if kind == Kind.TRANSIENT else words

    @property
    def message(self) -> str:
        own = (self.result.message if self.result else None) or ""
        if own and self.build_error:
            return f"{own}\n{self.build_error}"
        return own or self.build_error or ""

    @property
    def fix(self) -> str:
        if self.result is None and self.build_fix:
            return self.build_fix
        result = self.result
        if result is not None and result.ephemeral_parent and self.upstream_failures and not self.build_error:
            ephemeral = result.ephemeral_parent.split(".")[-1]
            return (f"fix upstream {', '.join(self.upstream_failures)}: dbt skipped what ephemeral model "
                    f"{ephemeral} reads, so it could not inline it here ({ephemeral} itself has no error)")
        return suggest_fix(
            self.kind or Kind.UNKNOWN, self.message, result.compiled_path if result else None,
            result.resource_type if result else None, result.name if result else None,
        )


def graph_of(specs: Sequence[NodeSpec]) -> DbtGraph:
    return DbtGraph.from_edges((s.unique_id, s.resource_type, s.parents) for s in specs)


def topological(specs: Sequence[NodeSpec], through: Sequence[NodeSpec] = ()) -> list[NodeSpec]:
    """dbt's order: parents before children, then by name (tests follow their models); ``through``:
    nodes not ordered that still link their parents to their children (ephemeral models)."""
    by_id = {s.unique_id: s for s in specs}
    order = graph_of([*specs, *through]).order(list(by_id), {u: s.name for u, s in by_id.items()})
    return [by_id[u] for u in order]


def kind_name(node: NodeResult) -> str:
    return "hook" if node.is_hook else node.resource_type.replace("_", " ")


def with_twins_marked(specs: Sequence[NodeSpec]) -> list[NodeSpec]:
    """Specs where two share an item name in one file (one pytest id) get their twin marks:
    one node, one id. The same name in two files (a package's model and the project's) is two
    ids already, and keeps dbt's name."""
    def key(spec: NodeSpec) -> tuple[str, str, str]:
        return spec.package_name, spec.original_file_path, spec.item_name

    counts: dict[tuple[str, str, str], int] = {}
    for spec in specs:
        counts[key(spec)] = counts.get(key(spec), 0) + 1
    return [dataclasses.replace(s, twin=s.twin_mark) if counts[key(s)] > 1 else s for s in specs]
