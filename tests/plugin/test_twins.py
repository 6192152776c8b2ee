"""Two dbt tests with one name (dbt drops the punctuation of test arguments): one node, one id."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.integration

NAME = "accepted_values_emails_kind__a_b__x_y"
FAILING, PASSING = f"{NAME}@57b0103b", f"{NAME}@7e6278d9"  # the hashes dbt ends their ids with
ARGS = ("--dbt-project-dir=twins", "--dbt-select=*", "-p", "no:randomly")


def test_same_named_tests_get_distinct_ids_and_exact_samples(dbt_project, run, pytester) -> None:
    dbt_project("twins")
    result = run(*ARGS, "-v", "--junitxml=out.xml")
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        f"twins/models/schema.yml::{FAILING} DQ_FAILED*", f"twins/models/schema.yml::{PASSING} PASSED*[[]100%[]]",
    ])
    # The failing rows are this test's own (dbt's show of the name would print both tests' rows).
    result.stdout.fnmatch_lines(["  failing rows: 2", "*", "  first 2 failing row(s):", "  | value_field | n_records |",
                                 "*", "  | a@b         | 3         |", "  | x@y         | 1         |"])
    cases = [c.get("name") for c in ET.parse(pytester.path / "out.xml").getroot().iter("testcase")]
    assert sorted(cases) == sorted(["emails", FAILING, PASSING])


def test_last_failed_and_deselect_reach_exactly_one(dbt_project, run, pytester) -> None:
    dbt_project("twins")
    assert run(*ARGS).ret == 1
    again = run(*ARGS, "--lf", "-v")
    assert again.ret == 1 and again.parseoutcomes() == {"dq_failed": 1}
    assert PASSING not in again.stdout.str()
    kept = run(*ARGS, "-v", "--deselect", f"twins/models/schema.yml::{FAILING}")
    kept.assert_outcomes(passed=2, deselected=1)
