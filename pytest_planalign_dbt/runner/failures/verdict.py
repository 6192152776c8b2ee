"""The verdict on one invocation: the classified error, or a part of a combined result."""

from __future__ import annotations

from collections.abc import Sequence

from ..invocation import Invocation
from ..results import DbtResult, NodeResult
from .classify import classify_message, pick_kind
from .errors import DbtError, DbtSelectionError, DbtTimeoutError, error_for
from .kinds import Kind
from .messages import failure_block, shorten


def _part_error(combined: DbtResult, nodes: list[NodeResult]) -> DbtError | None:
    # Hooks ran for every model of the invocation: each part carries them (and their failure).
    failed = [n for n in (*nodes, *combined.hooks) if n.failed]
    if failed:
        kind = pick_kind(n.error_class for n in failed)
        return error_for(kind, failed[0].message or "", nodes=failed)
    return combined.error if not nodes else None


def split_result(combined: DbtResult, name: str) -> DbtResult:
    """The part of a multi-model result that concerns model ``name``."""
    nodes = [n for n in combined.nodes if n.name == name or n.unique_id == name]
    error = _part_error(combined, nodes)
    part = DbtResult(
        success=error is None,
        stdout=combined.stdout,
        stderr=combined.stderr,
        execution_time=sum(n.execution_time for n in nodes) if nodes else combined.execution_time,
        return_code=0 if error is None else 1,
        command=combined.command,
        nodes=nodes,
        error=error,
        attempts=combined.attempts,
        invocation_id=combined.invocation_id,
        log_path=combined.log_path,
        hooks=list(combined.hooks),
    )
    if error is not None:
        error.result = part
    return part


# Commands that must select something: an empty selection here is a mistake, not a success.
MUST_SELECT = frozenset({"build", "run", "seed", "snapshot", "test", "clone"})


def classify_invocation(inv: Invocation, nodes: Sequence[NodeResult]) -> DbtError | None:
    """The DbtError for an invocation (from its node results first), or None on success."""
    failed = [n for n in nodes if n.failed]
    return (
        _stopped_error(inv, failed)
        or (_node_error(inv, failed) if failed else None)
        or _fatal_error(inv)
        or _selection_error(inv, nodes)
    )


def _stopped_error(inv: Invocation, failed: list[NodeResult]) -> DbtError | None:
    if inv.timed_out:
        return DbtTimeoutError(inv.fatal or "timed out", nodes=failed)
    if inv.cancelled:
        return DbtError(
            inv.fatal or "the dbt run was cancelled", nodes=failed,
            fix="the run was stopped on request (Ctrl+C, pytest -x); run it again to finish",
        )
    return None


def _node_error(inv: Invocation, failed: list[NodeResult]) -> DbtError:
    """The most severe kind among the failed nodes, with that node's message first."""
    kind = pick_kind(n.error_class for n in failed)
    first = next((n for n in failed if n.error_class == kind), failed[0])
    message = first.message or ""
    if first.ephemeral_parent:
        # dbt reports no result for an ephemeral model: its error lives in the log lines
        # and in the "skipped" results of the nodes that inline it.
        message = failure_block(inv.lines, first.ephemeral_parent.split(".")[-1]) or message
    return error_for(kind, message, nodes=[first, *(n for n in failed if n is not first)])


def _fatal_error(inv: Invocation) -> DbtError | None:
    if inv.fatal:
        return error_for(classify_message(inv.fatal), inv.fatal)
    if inv.return_code != 0:
        return error_for(Kind.UNKNOWN, "\n".join(inv.lines[-10:]) or f"dbt exited with {inv.return_code}")
    return None


def _selection_error(inv: Invocation, nodes: Sequence[NodeResult]) -> DbtError | None:
    if not (inv.no_nodes and inv.command.subcommand in MUST_SELECT and all(n.is_hook for n in nodes)):
        return None
    flags = _selection_of(inv.command.argv)
    selection = shorten(" ".join(flags) or "(none)")
    return DbtSelectionError(
        f"the selection {selection} matches no enabled dbt node, so dbt ran nothing",
        fix="check the names and selectors (`dbt ls --select ...` lists what a selection "
        "means); a node with `enabled: false` is never selected",
    )


def _selection_of(argv: Sequence[str]) -> list[str]:
    """The selection flags and their values in an argv."""
    out: list[str] = []
    taking = False
    for arg in argv:
        if arg.split("=", 1)[0] in ("--select", "-s", "--models", "-m", "--exclude", "--selector"):
            out.append(arg)
            taking = "=" not in arg
        elif taking and not arg.startswith("-"):
            out.append(arg)
        else:
            taking = False
    return out
