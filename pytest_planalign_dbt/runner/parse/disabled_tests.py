"""Tests a full parse keeps among the nodes, disabled, and a partial parse would move.

A data test of a disabled model (or a test that refs one) is created enabled by a full parse and
disabled later, when dbt resolves its refs (``_process_refs``): it stays in ``manifest.nodes``
with ``enabled: false``, and dbt selects it nowhere. Every partial parse runs dbt's
``cleanup_disabled``, which moves each node of ``nodes`` that is not enabled to ``disabled``, so
a test that partial parse does not parse again changes places (dbt's own partial parse does this
after any edit: checked with the CLI on PlanAlign's project). Parsed again, the test is created
afresh and ends where a full parse puts it. A parse derived for other vars (unseen_vars.py)
parses those files again too, so that it equals a full parse node by node.
"""

from __future__ import annotations

from typing import Any


def files_to_parse_again(manifest: Any) -> set[str]:
    """The file ids (dbt's ``package://path``) whose parse puts those tests where a full parse
    does: the disabled model a test attaches to (its file brings its schema entry and tests
    with it), else the test's own file. Tests already moved (a base from the dbt CLI's own
    partial parse) are among them: a disabled test attached to a disabled model."""
    ids = {_owner(manifest, node) for node in manifest.nodes.values() if not node.config.enabled}
    for nodes in manifest.disabled.values():
        for node in nodes:
            if getattr(node, "attached_node", None) in manifest.disabled:
                ids.add(_owner(manifest, node))
    return ids


def _owner(manifest: Any, node: Any) -> str:
    attached = getattr(node, "attached_node", None)
    for candidate in (manifest.nodes.get(attached), *manifest.disabled.get(attached, ())):
        if candidate is not None and getattr(candidate, "file_id", None):
            return str(candidate.file_id)
    return str(node.file_id)
