"""A parse as what it decides, node by node: two manifests compare equal when dbt parsed alike."""

from __future__ import annotations

from typing import Any


def digest(manifest: Any) -> dict[str, Any]:
    """What a parse decides, node by node: edges, refs, sources, config, checksums, enabled, and
    the relation each builds (database, schema, alias: from the profile's target at parse time)."""
    out: dict[str, Any] = {}
    for uid, node in {**manifest.nodes, **manifest.sources}.items():
        depends = _attr(node, "depends_on")
        out[uid] = (
            sorted(getattr(depends, "nodes", []) or []),
            sorted(getattr(depends, "macros", []) or []),
            [str(r) for r in _attr(node, "refs") or []],
            [list(s) for s in _attr(node, "sources") or []],
            node.config.to_dict(),
            getattr(getattr(node, "checksum", None), "checksum", None),
            (getattr(node, "database", None), getattr(node, "schema", None), getattr(node, "alias", None)),
        )
    out["disabled"] = sorted(manifest.disabled)
    return out


def _attr(node: Any, name: str) -> Any:
    """A node's attribute; a seed's refs and depends_on raise in dbt (seeds reference nothing)."""
    if node.resource_type == "seed" and name != "depends_on":
        return None
    try:
        return getattr(node, name, None)
    except Exception:  # dbt's SeedNode raises unless a hook of the seed refs a node
        return None
