"""With pytest-html (the dev extra installs it): a red build's report shows, per failing item,
dbt's message, the compiled SQL and the failing rows, and in its summary the picture of what
went wrong (html_report.py)."""

from __future__ import annotations

import html
import re

import pytest

pytestmark = pytest.mark.integration


def test_a_red_builds_html_report_shows_each_failure_and_the_picture(dbt_project, run, pytester) -> None:
    import pytest_html  # noqa: F401  (the dev extra installs it)

    dbt_project("holdout")
    result = run("--dbt-project-dir", "holdout", "--dbt-select", "*", "--html=report.html", "--self-contained-html")
    assert result.ret == 1
    page = (pytester.path / "report.html").read_text()
    svg = re.search(r"<svg.*?</svg>", page, re.DOTALL)
    assert svg is not None  # in the summary, drawn here: nothing fetched at view time
    boxes = dict(re.findall(r"<title>([^<]+): (\w+)</title>", svg.group(0)))
    assert boxes["model.holdout.compile_error_model"] == "failed"
    assert boxes["model.holdout.runtime_error_model"] == "failed"
    assert boxes["model.holdout.child_of_error"] == "skipped"  # dbt skipped it: its parent errored
    assert "model.holdout.good_model" not in boxes or boxes["model.holdout.good_model"] == "passed"
    rows = html.unescape(page)  # pytest-html keeps each row's extras in an escaped JSON blob
    blocks = re.findall(r'<div class=\\?"dbt-failure\\?">(.*?)</div>', rows, re.DOTALL)
    assert len(blocks) == 3  # the compile error, the runtime error, the failing data test
    dq = next(b for b in blocks if "data quality" in b)
    assert "failing rows" in dq and "<table" in dq and "compiled SQL" in dq
    runtime = next(b for b in blocks if "runtime_error_model" in b)
    assert "<pre>" in runtime and "compiled SQL" in runtime  # dbt's message and the SQL it ran


def test_without_html_nothing_is_registered(dbt_project, run, pytester) -> None:
    pytester.makeconftest("def pytest_collection_finish(session):\n"
                          "    print('HTML HOOKS', session.config.pluginmanager.get_plugin('planalign-dbt-html'))\n")
    dbt_project("minimal")
    result = run("--dbt-project-dir", "minimal", "--dbt-select", "*", "--collect-only", "-s")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["HTML HOOKS None"])
