"""Where a red build is read besides the terminal, with the plugins people install for it (the
dev extra installs both): GitHub Actions annotations (pytest-github-actions-annotate-failures) at
the failing entry's YAML line, and the pytest-html report with each failure and the picture of
what went wrong (html_report.py). One red build of holdout, a failing data test added, read both ways."""

from __future__ import annotations

import html
import re

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.reporting_plugins]

FAILING = """          - accepted_values:
              arguments:
                values: ['nobody']
"""


def line_of(text: str, needle: str) -> int:
    """The 1-based line holding ``needle``, as GitHub's annotations count."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_red_build_is_annotated_at_its_yaml_lines_and_shown_in_the_html_report(dbt_project, run, monkeypatch,
                                                                                pytester) -> None:
    """One build (a build costs more than either check): first the annotations, then the report."""
    import pytest_github_actions_annotate_failures  # noqa: F401  (the dev extra installs them)
    import pytest_html  # noqa: F401

    project = dbt_project("holdout")
    schema = project / "models" / "schema.yml"
    text = schema.read_text().replace("                severity: warn\n", "                severity: warn\n" + FAILING)
    schema.write_text(text)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(pytester.path))
    result = run("--dbt-project-dir", "holdout", "--dbt-select", "*", "--html=report.html", "--self-contained-html")
    assert result.ret == 1
    annotations(result, text)
    report((pytester.path / "report.html").read_text())


def annotations(result: pytest.RunResult, text: str) -> None:
    """A failing data test annotated as an error at its entry, a warn-severity one as a warning."""
    errors = [line for line in result.stderr.lines if line.startswith("::error ") and "schema.yml" in line]
    assert len(errors) == 1
    where, message = errors[0].split("::", 2)[1:]
    assert where == f"error file=holdout/models/schema.yml,line={line_of(text, '- accepted_values:')}"
    assert message.split("%0A")[0] == "dbt test accepted_values_good_model_team__nobody"  # the headline
    warnings = [line for line in result.stderr.lines if line.startswith("::warning ") and "schema.yml" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"::warning file=holdout/models/schema.yml,line={line_of(text, '- not_null:')}::"
                                  "dbt test not_null_good_model_team: ")


def report(page: str) -> None:
    """The picture in the summary; per failing item its message, compiled SQL and rows."""
    svg = re.search(r"<svg.*?</svg>", page, re.DOTALL)
    assert svg is not None  # in the summary, drawn by the plugin: nothing fetched at view time
    boxes = dict(re.findall(r"<title>([^<]+): (\w+)</title>", svg.group(0)))
    assert boxes["model.holdout.compile_error_model"] == "failed"
    assert boxes["model.holdout.runtime_error_model"] == "failed"
    assert boxes["model.holdout.child_of_error"] == "skipped"  # dbt skipped it: its parent errored
    assert boxes["model.holdout.good_model"] == "passed"  # the failing tests' parent
    rows = html.unescape(page)  # pytest-html keeps each row's extras in an escaped JSON blob
    blocks = re.findall(r'<div class=\\?"dbt-failure\\?">(.*?)</div>', rows, re.DOTALL)
    assert len(blocks) == 4  # the compile error, the runtime error, two failing data tests
    dq = next(b for b in blocks if "accepted_values_good_model_team" in b)
    assert "failing rows" in dq and "<table" in dq and "compiled SQL" in dq
    runtime = next(b for b in blocks if "runtime_error_model" in b)
    assert "<pre>" in runtime and "compiled SQL" in runtime  # the SQL it ran
    assert "Conversion Error" not in runtime and "Conversion Error" in rows  # once: in the row's log
    assert "dbt: 2 data quality failure(s)" in rows  # the summary says which failures are data tests
    assert "skipped by dbt: upstream model runtime_error_model (execution) failed" in rows
    logs = html.unescape(rows)  # each row's log is escaped once more inside the blob
    assert "Skipped: skipped by dbt" in logs and "('holdout/models/child_of_error.sql'" not in logs  # no tuple
