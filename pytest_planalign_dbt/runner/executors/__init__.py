"""Executors: how a dbt command runs (in this process, or as a child process)."""

from __future__ import annotations

# The executor names users pass (``executor=`` / ``--dbt-executor``).
EXECUTORS = ("inprocess", "subprocess")
