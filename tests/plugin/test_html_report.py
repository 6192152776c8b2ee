"""Without ``--html`` the HTML hooks stay out (what a report holds: test_annotations.py)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_without_html_nothing_is_registered(dbt_project, run, pytester) -> None:
    pytester.makeconftest("def pytest_collection_finish(session):\n"
                          "    print('HTML HOOKS', session.config.pluginmanager.get_plugin('planalign-dbt-html'))\n")
    dbt_project("minimal")
    result = run("--dbt-project-dir", "minimal", "--dbt-select", "*", "--collect-only", "-s")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["HTML HOOKS None"])
