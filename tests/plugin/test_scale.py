"""A broken model with hundreds of descendants, as on a large real project the day it breaks
(tests/helpers/wide.py): pytest counts what dbt counts, the real failure is the first thing
printed, and the progress is a line per folder, not per node."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers.verdicts import assert_follows_dbt, copy_project
from tests.helpers.wide import write_wide_project

# One generated project feeds both runs; dbt's own verdict on it is made once.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("wide")]
FOLDERS, PER_FOLDER = 5, 40
PROGRESS = re.compile(r"^(\S+) [.sFQE]+ +\[ *\d+%\]$")


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_wide_project(tmp_path_factory.mktemp("wide-source"), folders=FOLDERS, per_folder=PER_FOLDER)


@pytest.mark.parametrize("mode", [(), ("-n", "2")], ids=["serial", "n2"])
def test_the_real_failure_comes_first_and_pytest_counts_what_dbt_counts(pytester, run, shared_dir, wide,
                                                                          mode) -> None:
    pytester.makeini("[pytest]\n")
    project = copy_project(wide, pytester.path)
    result = run("--dbt-project-dir=wide", "--dbt-select=*", *mode, "--junitxml=report.xml")
    assert_follows_dbt(wide, project, pytester.path / "report.xml", result.ret, shared_dir)
    statuses = [r["status"] for r in json.loads((project / "target" / "run_results.json").read_text())["results"]]
    skipped = statuses.count("skipped")
    assert skipped >= FOLDERS * PER_FOLDER  # every descendant of base_broken, and the ephemeral chain's children
    summary = result.stdout.lines[-1]
    assert f" {skipped} skipped" in summary and "error" not in summary, summary  # no ERROR SKIP as an error
    assert "1 failed" in summary and "1 dq_failed" in summary, summary
    lines = result.stdout.lines
    sections = [line for line in lines if re.fullmatch(r"=+ [A-Z ]+ =+", line)]
    assert sections[0].strip("= ") == "FAILURES", sections  # no ERRORS section before the real failure
    first = lines.index(sections[0]) + 1
    assert "dbt model base_broken" in lines[first] and "no_such_column" in "\n".join(lines[first:first + 6])
    if not mode:
        progress = [m[1] for m in map(PROGRESS.match, lines) if m]
        folders = {f"wide/{f}" for f in ("seeds", "models/base", "models/green",
                                           *(f"models/area_{f:02d}" for f in range(FOLDERS)))}
        assert sorted(progress) == sorted(folders), progress  # one line per folder, each once
        assert len(lines) < 80, len(lines)
