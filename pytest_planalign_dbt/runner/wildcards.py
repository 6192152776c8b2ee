"""Bare wildcards (``int_*``: a wildcard, no dot) select by node name, on every dbt-core we support.

dbt-core 1.10 and 1.12.0-1.12.5 fnmatch a selector against the node's whole dotted name
(``project.folder.int_x``), so ``int_*`` selects only root-level nodes; dbt-core 1.11.16+ and
1.12.6+ (dbt-core PR 16348) also match a bare wildcard against the node's name (the model's name for
a versioned model), as dbt's v2 engine always has. ``leaf_matching`` wraps the installed dbt's own
``is_selected_node`` with exactly that extra rule; runner/dbt_internals.py puts it in place where
the installed dbt lacks it, in this process (the in-process executor) and in a dbt child process
(``python -m pytest_planalign_dbt.runner.dbt_cli``). Everything else about selection is dbt's own:
methods, graph operators (``+int_*+``, ``@int_*``), intersections, exclusions, indirect selection of
tests, ``state:modified+``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fnmatch import fnmatch

from . import versions

WILDCARDS = ("*", "?", "[", "]")

IsSelected = Callable[[Sequence[str], str, bool], bool]


def is_bare_wildcard(node_selector: str) -> bool:
    """A selector value with a wildcard and no dot (dbt's fqn method; the operators stripped)."""
    return "." not in node_selector and any(w in node_selector for w in WILDCARDS)


def leaf_matching(original: IsSelected) -> IsSelected:
    """dbt-core 1.11.16's ``is_selected_node`` from an older release's: what the older one
    selects, plus a bare wildcard that matches the node's name."""

    def is_selected_node(fqn: Sequence[str], node_selector: str, is_versioned: bool) -> bool:
        if original(fqn, node_selector, is_versioned):
            return True
        if not is_bare_wildcard(node_selector) or len(fqn) < (2 if is_versioned else 1):
            return False
        return fnmatch(fqn[-2] if is_versioned else fqn[-1], node_selector)

    is_selected_node.planalign_leaf_matching = True  # type: ignore[attr-defined]
    return is_selected_node


def needs_leaf_matching() -> bool:
    """True where the installed dbt-core matches a bare wildcard against the whole name only."""
    return bool(versions.dbt_core()) and not versions.bare_wildcard_matches_name()
