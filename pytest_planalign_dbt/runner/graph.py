"""DbtGraph: the DAG of the selected dbt nodes (parents, children, attached tests).

The one place the plugin walks dbt's graph: why a node was skipped (a failed
ancestor, a failed data or unit test of an ancestor, a failed on-run-start hook),
and dbt's run order for reporting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TEST_TYPES = frozenset({"test", "unit_test"})


def node_selector(resource_type: str, package: str, name: str, fqn: Sequence[str]) -> str | None:
    """dbt's selector for exactly one node: unit tests by package and name, others by fqn."""
    if resource_type == "unit_test":
        return f"unit_test:{package}.{name}" if package and name else None
    if fqn:
        return "fqn:" + ".".join(fqn)
    return name or None


@dataclass
class DbtGraph:
    """Parents and children of dbt nodes, by unique id."""

    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    resource_types: dict[str, str] = field(default_factory=dict)
    fqns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    packages: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_manifest(cls, manifest: Any) -> DbtGraph:
        """From dbt's parsed Manifest object (its nodes and unit tests)."""
        graph = cls()
        for uid, node in {**manifest.nodes, **(getattr(manifest, "unit_tests", None) or {})}.items():
            kind = getattr(node, "resource_type", "")
            graph._add(uid, str(getattr(kind, "value", kind)),
                       getattr(getattr(node, "depends_on", None), "nodes", None) or (),
                       getattr(node, "fqn", None) or (), getattr(node, "package_name", ""),
                       getattr(node, "name", ""))
        return graph

    @classmethod
    def from_manifest_json(cls, data: Mapping[str, Any]) -> DbtGraph:
        """From manifest.json (what a dbt subprocess leaves behind)."""
        graph = cls()
        for section in ("nodes", "unit_tests"):
            for uid, node in (data.get(section) or {}).items():
                graph._add(uid, node.get("resource_type", ""), (node.get("depends_on") or {}).get("nodes") or (),
                           node.get("fqn") or (), node.get("package_name", ""), node.get("name", ""))
        return graph

    def _add(self, uid: str, kind: str, parents: Iterable[str], fqn: Iterable[str], package: str,
             name: str) -> None:
        self.parents[uid] = tuple(parents)
        self.resource_types[uid] = kind
        self.fqns[uid] = tuple(fqn)
        self.packages[uid] = package
        self.names[uid] = name

    def selector(self, uid: str) -> str | None:
        """The selector that picks exactly this node (``fqn:...``, ``unit_test:pkg.name``)."""
        return node_selector(self.resource_types.get(uid, ""), self.packages.get(uid, ""),
                             self.names.get(uid, ""), self.fqns.get(uid, ()))

    @classmethod
    def from_edges(cls, nodes: Iterable[tuple[str, str, Sequence[str]]]) -> DbtGraph:
        """From (unique_id, resource_type, parent ids) triples."""
        graph = cls()
        for uid, resource_type, parents in nodes:
            graph.parents[uid] = tuple(parents)
            graph.resource_types[uid] = resource_type
        return graph

    @property
    def children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for uid, parents in self.parents.items():
            for parent in parents:
                out.setdefault(parent, []).append(uid)
        return out

    def ancestors(self, uid: str) -> set[str]:
        seen: set[str] = set()
        stack = [uid]
        while stack:
            for parent in self.parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    def descendants(self, roots: Iterable[str]) -> set[str]:
        children = self.children
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen

    def tests_of(self, uids: Iterable[str]) -> set[str]:
        """Data and unit tests attached to any of ``uids``."""
        wanted = set(uids)
        return {
            uid for uid, parents in self.parents.items()
            if self.resource_types.get(uid) in TEST_TYPES and wanted & set(parents)
        }

    def why_skipped(self, uid: str, failed: Mapping[str, str]) -> list[str]:
        """The failed nodes that made dbt skip ``uid`` (``failed``: unique id -> label).

        dbt build skips a node when an ancestor failed, or when a data or unit test of
        an ancestor (or of the node itself, for unit tests that guard a model) failed,
        and every node when an on-run-start hook failed.
        """
        own = self.ancestors(uid)
        blamed = {a for a in own if a in failed}
        guarded = own | {uid}
        if self.resource_types.get(uid) == "unit_test":
            # A model's unit tests run first; one failing skips the model and its siblings.
            guarded |= set(self.parents.get(uid, ()))
        blamed |= {t for t in self.tests_of(guarded) if t in failed and t != uid}
        if not blamed:
            blamed = {h for h in failed if "-on-run-start-" in h}
        return sorted(failed[b] for b in blamed)

    def order(self, uids: Sequence[str], names: Mapping[str, str]) -> list[str]:
        """dbt's order: parents before children, unit tests before, data tests after their model.
        A node of the graph that is not ordered (an ephemeral model) still counts as a parent:
        its children come after its own parents."""
        wanted = set(uids)
        depth: dict[str, int] = {}

        def level(uid: str, seen: frozenset[str] = frozenset()) -> int:
            if uid not in depth:
                parents = [p for p in self.parents.get(uid, ())
                           if (p in wanted or p in self.parents) and p not in seen]
                depth[uid] = 1 + max((level(p, seen | {uid}) for p in parents), default=-1)
            return depth[uid]

        def key(uid: str) -> tuple[int, int, str]:
            kind = self.resource_types.get(uid, "")
            if kind == "unit_test":
                model = next((p for p in self.parents.get(uid, ()) if p in wanted), None)
                return (level(model) if model else 0, 0, names.get(uid, uid))
            return (level(uid), 2 if kind == "test" else 1, names.get(uid, uid))

        return sorted(uids, key=key)
