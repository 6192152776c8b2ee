"""Reading through dbt: which nodes a selection means, rows of a node or a query."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .failures.errors import DbtCommandError, DbtError
from .results import disabled_names, enabled_names

if TYPE_CHECKING:
    from .parts import Calls

NODE_RESOURCE_TYPES = ("seed", "model", "snapshot", "test", "unit_test")
LIST_KEYS = (
    "unique_id", "name", "resource_type", "original_file_path", "package_name", "tags", "fqn",
    "depends_on", "config",
    # Where a generic test is written in its YAML (the plugin's item lines).
    "test_metadata", "column_name", "file_key_name",
)
# What ref() accepts as a name: dbt allows '-' and other characters in file names; quotes,
# braces and whitespace could break out of the generated ref() call.
MODEL_NAME = re.compile(r"[^\s'\"{}%#\\]+")


class Reader:
    """DbtRunner's reading methods (``ls``, ``show``): they never write run_results.json."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def list_nodes(
        self,
        select: Sequence[str] = (),
        exclude: Sequence[str] = (),
        selector: str | None = None,
        *,
        resource_types: Sequence[str] = NODE_RESOURCE_TYPES,
        simulation_year: int | None = None,
        dbt_vars: Mapping[str, Any] | None = None,
        state: Path | str | None = None,
    ) -> list[dict[str, Any]]:
        """The nodes dbt's own selector syntax selects (``dbt ls``), as dicts of LIST_KEYS;
        ``state``: the dir of a reference manifest, for ``state:`` selectors."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        # --no-write-json: listing must not replace the last build's run_results.json.
        args = ["ls", "--output", "json", "--output-keys", *LIST_KEYS, "--no-write-json"]
        for resource_type in resource_types:
            args += ["--resource-type", resource_type]
        if select:
            args += ["--select", *select]
        if exclude:
            args += ["--exclude", *exclude]
        if selector:
            args += ["--selector", selector]
        if state is not None:
            args += ["--state", str(state)]
        result = self.calls.execute_command(
            args, description="Listing dbt nodes", simulation_year=simulation_year,
            dbt_vars=dbt_vars, stream_output=False,
        )
        nodes = []
        for line in result.output:
            try:
                nodes.append(json.loads(line))
            except ValueError:
                continue
        return nodes

    def show(
        self,
        *,
        select: str | None = None,
        inline: str | None = None,
        limit: int = 5,
        simulation_year: int | None = None,
        dbt_vars: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows from ``dbt show`` of a node (e.g. a failing test) or inline SQL; limit -1 = all."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        if (select is None) == (inline is None):
            raise DbtCommandError("show() needs exactly one of select= or inline=")
        # --no-write-json: reading rows must not replace the last build's run_results.json.
        args = ["show", "--output", "json", "--limit", str(int(limit)), "--no-write-json"]
        args += ["--select", select] if select is not None else ["--inline", str(inline)]
        result = self.calls.execute_command(
            args, description="Reading rows through dbt", simulation_year=simulation_year,
            dbt_vars=dbt_vars, stream_output=False,
        )
        if result.rows is not None:
            return result.rows
        rows: list[dict[str, Any]] = []
        for preview in result.output:
            data = json.loads(preview) if preview else []
            # dbt's preview is the row list; its printed form wraps it as {"show": rows}.
            rows.extend(data.get("show", []) if isinstance(data, dict) else data)
        return rows

    def rows(
        self,
        model: str,
        *,
        where: str | None = None,
        limit: int = -1,
        simulation_year: int | None = None,
        dbt_vars: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """A relation's rows by model (or seed/snapshot) name, through dbt's ref().

        Values keep their types (DECIMAL as Decimal, dates as dates) from both executors; a
        ``dbt_executable`` the caller named gives dbt's JSON preview. A versioned model takes
        ``name.v2`` or just ``name`` (its latest version).
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        if not isinstance(model, str) or not MODEL_NAME.fullmatch(model):
            raise DbtCommandError(
                f"model must be the name of a model, seed or snapshot (as in ref()), got {model!r}"
            )
        name, _, version = model.partition(".v")
        ref = f"ref('{name}', v={version})" if version.isdigit() else f"ref('{model}')"
        sql = f"select * from {{{{ {ref} }}}}"
        if where:
            sql += f" where {where}"
        try:
            return self.show(inline=sql, limit=limit, simulation_year=simulation_year, dbt_vars=dbt_vars)
        except DbtError as exc:
            if re.search(r"not found|parsing inline", exc.dbt_message, re.I):
                raise DbtCommandError(
                    f"no model, seed or snapshot named {model!r} in project {self.calls.info.name} "
                    "(or it is disabled): `dbt ls --resource-type model --resource-type seed` lists them"
                ) from None
            raise

    def unanswered(self, dbt_vars: Mapping[str, Any] | None = None) -> str | None:
        """Why the target's database server does not answer (asked before dbt starts, with the
        profile rendered as dbt renders it), or None: it answers, or the target has no server
        (a DuckDB file, Spark in this process)."""
        from . import adapters
        from .dbt_internals import profile_state

        output = self.calls.info.target_output(self.calls.target)
        if not self.calls.info.profile or not adapters.engine_for(output).has_server(output):
            return None
        try:
            _, rendered = profile_state(self.calls.profiles_dir or Path.home() / ".dbt", self.calls.info.profile,
                                        self.calls.target, dict(dbt_vars or {}), self.calls.env)
        except Exception:  # a profile dbt cannot render (an unset env var...): dbt says why, in its words
            return None
        return adapters.unanswered(output, rendered)

    def enabled_names(self) -> list[str]:
        """Names of the enabled nodes (known after a parse or a listing)."""
        return enabled_names(self.calls.executor.manifest(), self.calls.artifacts_path)

    def disabled_names(self) -> list[str]:
        """Names of nodes disabled by ``enabled: false`` (known after a parse or a listing)."""
        return disabled_names(self.calls.executor.manifest(), self.calls.artifacts_path)
