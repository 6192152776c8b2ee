"""Run one in-process dbt call on PROJECT and SIGKILL this process at POINT of the parse:
``aside`` (the dbt CLI's partial-parse file just set aside) or ``written`` (dbt wrote its parse,
nothing put back yet). Usage: python kill_mid_parse.py POINT PROJECT"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

from pytest_planalign_dbt import DbtRunner
from pytest_planalign_dbt.runner.parse import cache

point, project = sys.argv[1], sys.argv[2]
original = cache.ParseStore.cli_file_aside


@contextlib.contextmanager
def killing(self, usable_by_cli):  # type: ignore[no-untyped-def]
    with original(self, usable_by_cli) as aside:
        if point == "aside":
            os.kill(os.getpid(), signal.SIGKILL)
        yield aside
        if point == "written":
            os.kill(os.getpid(), signal.SIGKILL)


cache.ParseStore.cli_file_aside = killing  # type: ignore[method-assign]
DbtRunner(project, threads=1).execute_command(["ls"], dbt_vars={"multiplier": 7}, stream_output=False)
