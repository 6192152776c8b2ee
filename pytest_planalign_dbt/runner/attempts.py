"""What the attempts of one command add up to: one DbtResult, a retry's nodes over the first's."""

from __future__ import annotations

import dataclasses
import time

from .command import DbtCommand
from .invocation import Invocation
from .failures.errors import DbtError
from .failures.verdict import classify_invocation
from .results import DbtResult, NodeResult, merge_nodes
from .secrets import Redactor


class Attempts:
    """What the attempts of one command add up to (a retry's results replace the first's)."""

    def __init__(self, command: DbtCommand, redact: Redactor) -> None:
        self.command = command
        self.redact = redact
        self.count = 0
        self.started = time.monotonic()
        self.nodes: list[NodeResult] = []
        self.lines: list[str] = []
        self.stderr: list[str] = []
        self.error: DbtError | None = None
        self.last: Invocation | None = None
        self.first: Invocation | None = None

    def add(self, inv: Invocation) -> Invocation:
        redact = self.redact
        # Secrets never travel further than this: messages feed errors, reports, JUnit.
        inv.nodes = [dataclasses.replace(n, message=redact(n.message)) if n.message else n for n in inv.nodes]
        inv.fatal = redact(inv.fatal) if inv.fatal else inv.fatal
        self.count += 1
        self.nodes = merge_nodes(self.nodes, inv.nodes)
        self.lines.extend(inv.lines)
        if inv.stderr:
            self.stderr.append(inv.stderr)
        self.error = classify_invocation(inv, self.nodes)
        self.first = self.first or inv
        self.last = inv
        return inv

    def result(self, log_path: str) -> DbtResult:
        inv, error, redact = self.last, self.error, self.redact
        assert inv is not None
        result = DbtResult(
            success=error is None,
            stdout=redact("\n".join(self.lines)),
            stderr=redact("\n".join(self.stderr)),
            execution_time=0.0,
            return_code=0 if error is None else (inv.return_code or 1),
            command=[redact(a) for a in ("dbt", *self.command.argv)],
            nodes=[n for n in self.nodes if not n.is_hook],
            error=error,
            attempts=self.count,
            invocation_id=inv.invocation_id,
            log_path=log_path,
            output=list(inv.output),
            hooks=[n for n in self.nodes if n.is_hook],
            rows=inv.rows,
            parse=self.first.parse if self.first is not None else None,  # a retry reuses that parse
        )
        if error is not None:
            error.result = result
        return result


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
