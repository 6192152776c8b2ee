"""The line a dbt node is written at: for an editor's test tree, CI annotations and reports.

dbt knows a node's file (``original_file_path``), not its line; here the line is found in the
file itself, 0-based as pytest's ``item.location`` holds it:

- a generic data test: its entry in the schema YAML (``- unique``, ``- not_null:``,
  ``- dbt_utils.expression_is_true:``) under its column, model, seed, snapshot or source table;
  of two entries of the same test there, the one whose arguments are the node's;
- a unit test: its ``- name:`` entry under ``unit_tests:``; a snapshot or model written in YAML:
  its entry;
- a model, seed, snapshot or singular test in a file of its own (SQL, CSV, Python): line 1;
- a hook: its entry of ``on-run-start`` / ``on-run-end`` in its ``dbt_project.yml``.

The YAML is composed (not just loaded) so every entry keeps its position: flow style
(``data_tests: [unique, not_null]``) and anchors resolve to where the text is written. Where no
entry is found (a file that does not parse, a test written by a macro), the line is None and
the item points at the file, as before. Pure: no pytest here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..runner import NOT_ARGUMENTS

YAML_SUFFIXES = frozenset({".yml", ".yaml"})
TEST_LISTS = ("data_tests", "tests")
RESOURCE_SECTIONS = {"model": "models", "seed": "seeds", "snapshot": "snapshots", "unit_test": "unit_tests"}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class NodeLines:
    """Lines of the nodes of one listing; each YAML file is composed once."""

    def __init__(self) -> None:
        self._composed: dict[Path, yaml.Node | None] = {}
        self._index: Index = {}  # by id() of a list node of a composed file (kept alive above)

    def line(self, path: Path, node: Mapping[str, Any]) -> int | None:
        """The 0-based line of ``node`` (a ``dbt ls`` JSON entry) in ``path``, its file."""
        if path.suffix not in YAML_SUFFIXES:
            return 0
        root = self.compose(path)
        if root is None:
            return None
        if node.get("resource_type") == "test":
            return _generic_test(root, node, self._index)
        section = RESOURCE_SECTIONS.get(str(node.get("resource_type")))
        found = _named(_key(root, section), str(node.get("name")), self._index) if section else None
        return None if found is None else found.start_mark.line

    def hook(self, path: Path, hook_type: str, index: int) -> int | None:
        """The line of the ``index``-th entry of ``hook_type`` in a ``dbt_project.yml``."""
        root = self.compose(path)
        entries = _key(root, hook_type) or _key(root, hook_type.replace("-", "_"))
        if isinstance(entries, yaml.SequenceNode):
            return entries.value[index].start_mark.line if index < len(entries.value) else None
        return entries.start_mark.line if isinstance(entries, yaml.ScalarNode) and index == 0 else None

    def compose(self, path: Path) -> yaml.Node | None:
        if path not in self._composed:
            try:
                self._composed[path] = yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                self._composed[path] = None
        return self._composed[path]


def _key(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value of ``key`` in a mapping node (merge keys ``<<`` followed)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == "<<":
            for merged in (v.value if isinstance(v, yaml.SequenceNode) else [v]):
                found = _key(merged, key)
                if found is not None:
                    return found
    return None


def _scalar(node: yaml.Node | None) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


Index = dict[int, tuple[dict[str, yaml.Node], dict[str, yaml.Node]]]


def _named(entries: yaml.Node | None, name: str, index: Index) -> yaml.Node | None:
    """The entry of a list of mappings whose ``name`` is ``name`` (then by case, as dbt's
    column names may be quoted either way). ``index``: each list's entries by name, made once
    (a schema file of 700 models is searched 1,400 times)."""
    if not isinstance(entries, yaml.SequenceNode):
        return None
    if id(entries) not in index:
        exact: dict[str, yaml.Node] = {}
        folded: dict[str, yaml.Node] = {}
        for entry in entries.value:
            written = _scalar(_key(entry, "name")) if isinstance(entry, yaml.MappingNode) else None
            if written is not None:
                exact.setdefault(written, entry)
                folded.setdefault(written.casefold(), entry)
        index[id(entries)] = (exact, folded)
    exact, folded = index[id(entries)]
    return exact.get(name) or folded.get(name.casefold())


def _owner(root: yaml.Node, node: Mapping[str, Any], index: Index) -> yaml.Node | None:
    """The model, seed, snapshot or source table entry a generic test is written under."""
    section, _, owner = str(node.get("file_key_name") or "").partition(".")
    entry = _named(_key(root, section), owner, index)
    if entry is None or section != "sources":
        return entry
    parents = (node.get("depends_on") or {}).get("nodes") or []
    tables = [p.split(".")[-1] for p in parents if p.startswith("source.")]
    return _named(_key(entry, "tables"), tables[0], index) if len(tables) == 1 else None


def _generic_test(root: yaml.Node, node: Mapping[str, Any], index: Index) -> int | None:
    owner = _owner(root, node, index)
    column = node.get("column_name")
    if owner is not None and column:
        owner = _named(_key(owner, "columns"), str(column), index)
    if owner is None:
        return None
    metadata = node.get("test_metadata") or {}
    candidates = [entry for key in TEST_LISTS for entry in _entries(_key(owner, key))
                  if _names_test(entry, metadata)]
    candidates = _by_arguments(candidates, metadata) if len(candidates) > 1 else candidates
    return candidates[0].start_mark.line if candidates else None


def _by_arguments(candidates: list[yaml.Node], metadata: Mapping[str, Any]) -> list[yaml.Node]:
    """Of test entries with one name, those written with the node's arguments (all when none is)."""
    kwargs = {k: v for k, v in (metadata.get("kwargs") or {}).items() if k not in ("model", "column_name")}
    return [c for c in candidates if _arguments(c) == kwargs] or candidates


def _entries(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _test_name(entry: yaml.Node) -> tuple[str | None, yaml.Node | None]:
    """A test entry's written name (``unique``, ``dbt_utils.expression_is_true``) and its body."""
    if isinstance(entry, yaml.ScalarNode):
        return entry.value, None
    written = _scalar(_key(entry, "test_name"))
    if written is not None:
        return written, entry
    if isinstance(entry, yaml.MappingNode) and len(entry.value) == 1:
        key, body = entry.value[0]
        return _scalar(key), body
    return None, None  # no test dbt would read


def _names_test(entry: yaml.Node, metadata: Mapping[str, Any]) -> bool:
    written, _ = _test_name(entry)
    if not written or not metadata.get("name"):
        return False
    namespace, _, name = written.rpartition(".")
    return name == metadata["name"] and (not namespace or namespace == metadata.get("namespace"))


def _arguments(entry: yaml.Node) -> dict[str, Any]:
    """The arguments written for a test entry (under ``arguments:`` or beside its configs)."""
    _, body = _test_name(entry)
    if not isinstance(body, yaml.MappingNode):
        return {}
    value = _Loader("").construct_document(body)  # a mapping node: a dict
    if isinstance(value.get("arguments"), dict):
        return value["arguments"]
    return {k: v for k, v in value.items() if k not in NOT_ARGUMENTS}
