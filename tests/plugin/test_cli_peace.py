"""The dbt CLI and the plugin, run alternately on one project, never cost each other a parse.

Judged by dbt's own words: every dbt run, the CLI's and the plugin's in-process ones, appends
to the project's ``logs/dbt.log``, and dbt says "Unable to do partial parsing because ..."
whenever it throws a saved parse away. Only the very first parse may say it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.verdicts import DBT, cli_env

pytestmark = pytest.mark.integration

FULL_PARSE = "Unable to do partial parsing"
PARTIAL = "Partial parsing enabled"


class DbtLog:
    """What dbt wrote to the project's log since the last look."""

    def __init__(self, project: Path) -> None:
        self.path = project / "logs" / "dbt.log"
        self.offset = 0

    def new(self) -> str:
        text = self.path.read_text(errors="replace") if self.path.exists() else ""
        new, self.offset = text[self.offset:], len(text)
        return new


def cli(project: Path, *args: str) -> None:
    """The dbt CLI as a user runs it: in the project dir, profiles.yml found there."""
    env = cli_env(DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    proc = subprocess.run([DBT, *args], cwd=project, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_the_cli_and_the_plugin_alternate_without_a_full_parse(dbt_project, run) -> None:
    project = dbt_project("varsdag")  # a relative DuckDB path; a var that picks a ref
    log = DbtLog(project)
    plugin = ("--dbt-project-dir", "varsdag", "--dbt-select", "picker via_macro", "-q")

    def partial(text: str) -> bool:
        return PARTIAL in text and FULL_PARSE not in text

    cli(project, "build")
    assert FULL_PARSE in log.new()  # nothing saved yet: the one full parse

    assert run(*plugin).ret == 0
    assert partial(log.new())  # pytest after the CLI: the CLI's own parse, its profile

    cli(project, "build")
    assert partial(log.new())  # the CLI after pytest

    assert run(*plugin, "--dbt-vars", "{source: b}").ret == 0
    seen = log.new()  # vars the CLI never had: from its parse, only what reads them re-parsed
    assert partial(seen) and "updated file: varsdag://models/picker.sql" in seen
    assert "updated file: varsdag://models/a.sql" not in seen

    cli(project, "build")
    assert partial(log.new())  # not "vars changed": the CLI's file is still its own

    assert run(*plugin, "--dbt-vars", "{source: b}").ret == 0
    assert partial(log.new())  # the parse kept for source=b
