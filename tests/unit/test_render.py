"""The short report of a dbt item (session/render.py) and the build's summary line."""

from __future__ import annotations

from pytest_planalign_dbt.report import ReportInfo, build_line
from pytest_planalign_dbt.runner.results import NodeResult
from pytest_planalign_dbt.session.nodes import NodeOutcome, NodeSpec
from pytest_planalign_dbt.session.render import render_outcome

SPEC = NodeSpec("test.p.has_rows", "has_rows", "test", "models/schema.yml", "p", root_package="p")


def _failed_test(message: str, failures: int) -> NodeOutcome:
    result = NodeResult("test.p.has_rows", "has_rows", "test", "fail", message=message, failures=failures,
                        compiled_path="target/compiled/p/models/schema.yml/has_rows.sql", error_class="data_quality",
                        original_file_path="models/schema.yml")
    return NodeOutcome("test.p.has_rows", "fail", result=result, failures=failures)


def test_a_test_that_found_failing_rows_says_how_many_and_to_query_them() -> None:
    text = render_outcome(SPEC, _failed_test("Got 2 results, configured to fail if != 0", 2))
    assert text.splitlines()[0] == "dbt data quality failure: test has_rows (models/schema.yml)"
    assert "  failing rows: 2" in text and "fix: query the failing rows" in text
    assert "compiled SQL: target/compiled/p/models/schema.yml/has_rows.sql" in text


def test_a_test_that_fails_on_too_few_rows_says_it_expects_rows() -> None:
    """``error_if: <1``: zero rows is the failure, there are no failing rows to query."""
    text = render_outcome(SPEC, _failed_test("Got 0 results, configured to fail if <1", 0))
    assert "failing rows" not in text and "query the failing rows" not in text
    assert "  rows returned: 0, too few: the test expects rows (error_if / warn_if)" in text
    assert "fix: the test's query found too few rows" in text


def test_the_build_line_counts_statuses_hooks_and_attempts() -> None:
    def rep(status: str, hook: bool = False, attempts: int = 1):
        return ReportInfo(status=status, kind=None, hook=hook, attempts=attempts)

    reports = [rep("success"), rep("pass"), rep("fail"), rep("success", hook=True)]
    assert build_line(reports, 2.04) == "dbt build: 3 node(s) and 1 hook(s) in 2.0s: 1 fail, 1 pass, 2 success; 1 attempt(s)"
    assert build_line([rep("error", attempts=3)], None) == (
        "dbt build: 1 node(s): 1 error; 3 attempt(s) (transient failures retried)")
