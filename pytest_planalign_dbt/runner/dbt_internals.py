"""Every dbt internal we touch, in one place (dbt-core 1.10, 1.11 and 1.12; dbt-duckdb 1.10+).

dbt's public surface is ``dbt.cli.main.dbtRunner``, its documented artifacts and its
event names. What is below is not: each use says why it is needed, and
``tests/unit/test_dbt_internals.py`` fails the day one of them disappears, so a dbt
upgrade breaks a test here instead of a user's run.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import hashlib
import logging
import pprint
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import versions, wildcards

log = logging.getLogger(__name__)

# The Python loggers dbt writes its own log through (``dbt.events.logging``: logs/dbt.log and
# stdout). They do not propagate; pytest >= 8.4 attaches its capture handler to such loggers
# too, so dbt's debug log would land in whichever test's report runs beside the build.
DBT_LOGGERS = frozenset({"file_log", "stdout_log"})

# dbt's text when a node's refs differ from the manifest it was handed (a parse reused
# across vars that shape the DAG); dbt has no event or status for it.
STALE_MANIFEST = "unable to infer all dependencies"


# dbt's partial-parse file in the target dir (``dbt.constants.PARTIAL_PARSE_FILE_NAME``) and
# the hidden flag that makes a parse read another one (``--partial-parse-file-path``, "internal"
# in dbt's own help): how a parse kept per vars set is handed back (runner/parse/cache.py).
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
PARTIAL_PARSE_FILE_FLAG = "--partial-parse-file-path"
# The events dbt fires when it parses the whole project: it cannot partially parse (the
# reason in its data), it could not read the saved parse, partial parsing is off.
FULL_PARSE_EVENTS = frozenset({"UnableToPartialParse", "ParsedFileLoadFailed", "PartialParsingNotEnabled"})


def load_parse(path: Any) -> Any:
    """A saved partial-parse file as dbt's ``Manifest`` (``Manifest.from_msgpack`` with dbt's
    own decoder, as ``ManifestLoader.read_manifest_for_partial_parse`` reads it)."""
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumuro_decoder

    with open(path, "rb") as fp:
        return Manifest.from_msgpack(fp.read(), decoder=extended_mashumuro_decoder)


def save_parse(manifest: Any, path: Any) -> None:
    """Write a ``Manifest`` as dbt writes its partial-parse file."""
    from dbt.parser.manifest import extended_mashumaro_encoder

    with open(path, "wb") as fp:
        fp.write(manifest.to_msgpack(extended_mashumaro_encoder))


def new_file_hash(checksum: str) -> Any:
    """dbt's ``FileHash`` (sha256) with this checksum."""
    from dbt.artifacts.resources.base import FileHash

    return FileHash(name="sha256", checksum=checksum)


def version() -> str:
    """The installed dbt-core's version string, as dbt records it in a parse."""
    from dbt.version import __version__

    return str(__version__)


@dataclasses.dataclass(frozen=True)
class VarsHashInputs:
    """What dbt's ``state_check.vars_hash`` covers besides ``--vars``
    (``ManifestLoader.build_manifest_state_check``). If ours ever differs from dbt's, dbt sees
    other vars and parses fully: slower, never wrong."""

    profile_arg: str | None  # --profile, as given
    target_arg: str | None  # --target, as given
    profile_name: str  # the profile dbt resolved
    target_name: str  # the target dbt resolved
    default_target: str = "default"  # the profile's own target
    file_vars: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # vars.yml's (1.12)

    def of(self, cli_vars: Mapping[str, Any]) -> str:
        """dbt's vars hash for ``cli_vars``: 1.10 and 1.11 hash the ``--profile`` and ``--target``
        arguments as given; 1.12 hashes the resolved names, and ``vars.yml``'s vars if any."""
        if versions.at_least(1, 12):
            parts = [pprint.pformat(dict(cli_vars)), self.profile_name, self.target_name, version()]
            if self.file_vars:
                parts.append(pprint.pformat(dict(self.file_vars)))
        else:
            parts = [pprint.pformat(dict(cli_vars)), self.profile_arg or "", self.target_arg or "", version()]
        return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()

    def without_target_arg(self) -> VarsHashInputs:
        """The same parse made without ``--target`` (the profile's default target)."""
        return dataclasses.replace(self, target_arg=None, target_name=self.default_target)


def stale_manifest(res: Any) -> bool:
    """dbt's sign that a node's refs differ from the manifest it was handed."""
    if res.exception is not None and STALE_MANIFEST in str(res.exception):
        return True
    results = getattr(res.result, "results", None) or []
    return any(STALE_MANIFEST in str(getattr(r, "message", "") or "") for r in results)


def drop_inline_nodes(manifest: Any) -> None:
    """Remove what an inline ``compile``/``show`` left in a reused manifest: dbt adds the query as
    ``sql_operation.<project>.inline_query`` and removes it only when the task ends well, so after
    a failed one every later inline call fails ("dbt found two sql_operations with the name
    inline_query")."""
    nodes = getattr(manifest, "nodes", None)
    if nodes:
        for unique_id in [u for u in nodes if u.startswith("sql_operation.")]:
            nodes.pop(unique_id, None)


# What compiling a node writes on it (dbt's CompiledResource), as a fresh parse leaves it.
COMPILED_STATE = (("compiled", False), ("compiled_code", None), ("extra_ctes_injected", False),
                  ("_pre_injected_sql", None), ("compiled_path", None))


def forget_compilation(manifest: Any) -> None:
    """Leave every node of a reused manifest as a parse leaves it: uncompiled.

    dbt compiles on the manifest's own nodes and never expects to see them again: a second call
    on the same parse finds a model's ``extra_ctes_injected`` set, skips injecting its ephemeral
    CTEs into the SQL it has just rendered again ("Table with name __dbt__cte__... does not
    exist"), and serves an ephemeral model's SQL rendered by the earlier call (its vars, its
    ``invocation_id``, its ``run_query`` answers). Each call compiles afresh, as a new parse would.
    """
    from dbt.contracts.graph.nodes import CompiledNode

    nodes = getattr(manifest, "nodes", None) or {}
    for node in nodes.values():
        if not isinstance(node, CompiledNode):
            continue  # a seed: nothing compiled on it
        for name, value in COMPILED_STATE:
            setattr(node, name, value)
        node.extra_ctes = []


def event_to_dict(msg: Any) -> dict[str, Any]:
    """An in-process callback's EventMsg as the dict ``--log-format json`` prints.

    ``dbt_common.events.functions.msg_to_dict``: the same conversion dbt's JSON logger
    uses, so both executors feed identical events to the EventSink.
    """
    from dbt_common.events.functions import msg_to_dict

    return dict(msg_to_dict(msg))


def _adapters() -> list[Any]:
    """The adapters dbt registered in this process (``dbt.adapters.factory.FACTORY``):
    the only way to cancel their queries from outside dbt's threads."""
    try:
        from dbt.adapters.factory import FACTORY
    except ImportError:  # pragma: no cover - dbt-adapters is a dbt-core dependency
        return []
    return list(getattr(FACTORY, "adapters", {}).values())


def cancel_open_queries() -> None:
    """Ask every registered adapter to cancel its running queries."""
    for adapter in _adapters():
        with contextlib.suppress(Exception):
            adapter.cancel_open_connections()


def release_connections() -> None:
    """Close every adapter connection (``reset_adapters``); what an engine holds beyond them
    (dbt-duckdb's database handle) is released by its module in adapters/."""
    try:
        from dbt.adapters.factory import reset_adapters

        reset_adapters()
    except Exception:  # pragma: no cover - best effort; logged for diagnosis
        log.debug("reset_adapters failed", exc_info=True)


def select_bare_wildcards_by_name() -> None:
    """Make this process's dbt match a bare wildcard (``int_*``) against node names, as
    dbt-core 1.11.16+ and 1.12.6+ do (runner/wildcards.py); nothing where dbt already does.

    ``dbt.graph.selector_methods.is_selected_node`` is a module function that
    ``QualifiedNameSelectorMethod.node_is_match`` looks up on every call (dbt 1.10-1.12): wrapping
    it there changes exactly the fqn method, which every selector without a method goes through.
    """
    if not wildcards.needs_leaf_matching():
        return
    from dbt.graph import selector_methods

    current: Any = selector_methods.is_selected_node
    if not getattr(current, "planalign_leaf_matching", False):
        setattr(selector_methods, "is_selected_node", wildcards.leaf_matching(current))  # noqa: B010


# Edge sets of DAGs dbt's Linker found acyclic in this process (check_cycles_once), newest last.
_ACYCLIC: list[frozenset[tuple[str, str]]] = []
ACYCLIC_KEPT = 8


def check_cycles_once() -> None:
    """Let dbt search a DAG for a cycle once, not on every call on the same parse.

    Every call links the manifest's DAG and searches it whole (``Linker.find_cycles``, networkx's
    ``find_cycle``: about 70 ms a call on PlanAlign's 1,000 nodes), the very same DAG call after
    call on a kept parse. A graph with exactly the edges of one already found acyclic is acyclic:
    it is not searched again. Any other graph is searched, as dbt does, and a cycle is dbt's error.
    """
    from dbt.compilation import Linker

    current: Any = Linker.find_cycles
    if getattr(current, "planalign_once", False):
        return

    def find_cycles(self: Any) -> str | None:
        edges = frozenset(self.graph.edges())
        if edges in _ACYCLIC:
            return None
        cycle: str | None = current(self)
        if cycle is None:
            _ACYCLIC.append(edges)
            del _ACYCLIC[:-ACYCLIC_KEPT]
        return cycle

    find_cycles.planalign_once = True  # type: ignore[attr-defined]
    setattr(Linker, "find_cycles", find_cycles)  # noqa: B010


# dbt's thread pools started in this process and not yet seen closed (track_thread_pools).
_POOLS: weakref.WeakSet[Any] = weakref.WeakSet()


def track_thread_pools() -> None:
    """Know every thread pool dbt starts, so ``close_left_pools`` can end one dbt left open.

    ``GraphRunnableTask.execute_nodes`` closes its ``DbtThreadPool`` only when its queue ends
    normally or fails fast; an error raised out of the queue (a compile or show of inline SQL
    whose macro fails) leaves the pool's threads and pipe open until the interpreter exits,
    where ``Pool.__del__`` warns or fails ("Bad file descriptor"). ``runnable`` looks the class
    up at each call, so a subclass put there sees every pool it makes.
    """
    from dbt.task import runnable

    current = runnable.DbtThreadPool
    if getattr(current, "planalign_tracked", False):
        return

    class TrackedPool(current):  # type: ignore[misc, valid-type]
        planalign_tracked = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            _POOLS.add(self)

    setattr(runnable, "DbtThreadPool", TrackedPool)  # noqa: B010  (a module attribute, typed as a class)


def close_left_pools() -> None:
    """Close and end the thread pools an invocation left running (one dbt call at a time holds
    the invocation lock, so no pool of a running call is touched)."""
    for pool in list(_POOLS):
        _POOLS.discard(pool)
        if not pool.is_closed():
            with contextlib.suppress(Exception):
                pool.close()
                pool.terminate()
                pool.join()


# The attribute on dbt's agate table that holds the rows as the database driver returned them.
NATIVE_ROWS = "planalign_rows"


def keep_native_rows() -> None:
    """Keep every query's rows as the driver returned them beside dbt's agate table.

    ``SQLConnectionManager.get_result_from_cursor`` (dbt-adapters; DuckDB and PostgreSQL use it)
    hands the cursor's rows to ``dbt_common.clients.agate_helper.table_from_data_flat``, which it
    imports at each call; agate makes every number a ``Decimal`` (an INTEGER 5 is
    ``Decimal('5')``, a DOUBLE 1.5 ``Decimal('1.5')``), so the column's type is lost. Wrapped, the
    table also carries the driver's rows (``NATIVE_ROWS``): ``show`` and ``query`` return DECIMAL
    as ``Decimal``, INTEGER as ``int``, DOUBLE as ``float``, dates as dates, NULL as None.
    """
    from dbt_common.clients import agate_helper

    current = agate_helper.table_from_data_flat
    if getattr(current, "planalign_native", False):
        return

    def table_from_data_flat(data: Any, column_names: Any) -> Any:
        rows = data if isinstance(data, list) else list(data)  # dbt's own dicts, not copied
        table = current(rows, column_names)
        with contextlib.suppress(AttributeError):  # an agate without instance attributes: as before
            setattr(table, NATIVE_ROWS, rows)
        return table

    table_from_data_flat.planalign_native = True  # type: ignore[attr-defined]
    agate_helper.table_from_data_flat = table_from_data_flat


def write_shown_rows(path: str) -> None:
    """In a dbt child process: append each table ``dbt show`` prints to ``path``, its rows as the
    driver returned them (runner/typed_rows.py), beside dbt's own JSON preview (unchanged).

    ``ShowTask`` prints a table through ``agate.Table.to_json``; with ``keep_native_rows`` the
    table carries the driver's rows (``NATIVE_ROWS``).
    """
    import agate

    from . import typed_rows

    keep_native_rows()
    current = agate.Table.to_json
    if getattr(current, "planalign_rows_file", False):
        return

    def to_json(table: Any, *args: Any, **kwargs: Any) -> Any:
        out = current(table, *args, **kwargs)
        native = getattr(table, NATIVE_ROWS, None)
        if native is not None:
            with open(path, "a", encoding="utf-8") as rows_file:
                rows_file.write(typed_rows.dumps(native) + "\n")
        return out

    to_json.planalign_rows_file = True  # type: ignore[attr-defined]
    agate.Table.to_json = to_json


def profile_state(profiles_dir: Path, profile_name: str, target: str | None, cli_vars: Mapping[str, Any],
                  environ: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """What a parse sees of the profile, rendered as dbt renders it (``environ``, vars): the
    profile hash dbt's partial parsing compares (``ManifestLoader.build_manifest_state_check``:
    the sorted ``connection_info()`` pairs, pretty-printed, sha256) and the ``target`` dict its
    Jinja reads (``Profile.to_target_dict``). Rendered in a context of its own: dbt's
    ``env_var`` reads the invocation context, which only an invocation sets."""
    from argparse import Namespace

    from dbt import flags
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    def render() -> tuple[str, dict[str, Any]]:
        set_invocation_context(dict(environ))
        raw = read_profile(str(profiles_dir))
        profile = Profile.from_raw_profiles(raw, profile_name, ProfileRenderer(dict(cli_vars)),
                                            target_override=target)
        pairs = sorted(profile.credentials.connection_info())
        checksum = hashlib.sha256(pprint.pformat(pairs).encode("utf-8")).hexdigest()
        return checksum, profile.to_target_dict()

    before = flags.get_flags()
    if not hasattr(before, "LOG_CACHE_EVENTS"):  # no dbt invocation in this process yet
        flags.set_flags(Namespace(LOG_CACHE_EVENTS=False))  # all Profile() reads of the flags
    try:
        return contextvars.copy_context().run(render)
    finally:
        flags.set_flags(before)
