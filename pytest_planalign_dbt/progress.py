"""What pytest prints while dbt builds: items in the order their nodes finish, a line per folder.

Every dbt node is its own file, so pytest's progress (one line per file) is one line per node:
2,000 lines on a large project. Here dbt items are ordered by folder, the folders by when dbt is
due to finish their last node (so a folder reports once its nodes are done, and the progress
moves as the build does), and pytest's progress line names the folder instead of the file.
Verbose output (``-v``: one line per item) and other items are pytest's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from .items import DbtItem
from .session.nodes import NodeSpec, topological


def folder_of(nodeid: str) -> str:
    """The folder of a dbt item's file, as a node id path (``models/staging``)."""
    return nodeid.split("::", 1)[0].rpartition("/")[0]


def in_report_order(items: list[pytest.Item], ephemeral: Sequence[NodeSpec] = ()) -> None:
    """dbt items (in the slots they hold) by folder, folders by dbt's position of their last node,
    each folder's items in dbt's order (through ``ephemeral`` models, which have no items);
    on-run-start hooks first and on-run-end hooks last."""
    slots = [i for i, item in enumerate(items) if isinstance(item, DbtItem)]
    dbt_items: list[Any] = [items[i] for i in slots]
    specs = topological([item.spec for item in dbt_items], through=ephemeral)
    order = {s.unique_id: n for n, s in enumerate(specs)}
    due: dict[str, int] = {}
    for item in dbt_items:
        folder = folder_of(item.nodeid)
        due[folder] = max(due.get(folder, -1), order[item.spec.unique_id])

    def key(item: Any) -> tuple[int, int, str, int]:
        spec, folder = item.spec, folder_of(item.nodeid)
        hook = 0 if not spec.is_hook else (2 if "on-run-end" in spec.name else -1)
        return hook, due[folder] if hook == 0 else 0, folder, order[spec.unique_id]

    dbt_items.sort(key=key)
    for slot, item in zip(slots, dbt_items):
        items[slot] = item


def progress_by_folder(config: pytest.Config, items: list[pytest.Item]) -> None:
    """pytest's progress line names a dbt item's folder, not its file (one line per folder)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    write: Callable[..., None] | None = getattr(reporter, "write_fspath_result", None)
    if write is None or getattr(write, "planalign_folders", False):
        return
    folders = {item.nodeid: folder_of(item.nodeid) for item in items if isinstance(item, DbtItem)}

    def write_fspath_result(nodeid: str, res: str, **markup: bool) -> None:
        write(folders.get(nodeid) or nodeid, res, **markup)

    write_fspath_result.planalign_folders = True  # type: ignore[attr-defined]
    reporter.write_fspath_result = write_fspath_result  # type: ignore[union-attr]
