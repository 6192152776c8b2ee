"""CI annotations with pytest-github-actions-annotate-failures (the plugin itself, installed by
the dev extra): a failing data test and a warning are annotated at their line in the YAML."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

FAILING = """          - accepted_values:
              arguments:
                values: ['nobody']
"""


def line_of(text: str, needle: str) -> int:
    """The 1-based line holding ``needle``, as GitHub's annotations count."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_failing_data_test_and_a_warning_are_annotated_at_their_yaml_lines(dbt_project, run, monkeypatch,
                                                                              pytester) -> None:
    import pytest_github_actions_annotate_failures  # noqa: F401  (the dev extra installs it)
    project = dbt_project("holdout")
    schema = project / "models" / "schema.yml"
    text = schema.read_text().replace("                severity: warn\n", "                severity: warn\n" + FAILING)
    schema.write_text(text)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(pytester.path))
    result = run("--dbt-project-dir", "holdout", "--dbt-select", "people good_model", "--dbt-exclude", "assert_no_grace")
    assert result.ret == 1
    assert result.parseoutcomes() == {"passed": 5, "dq_failed": 1, "warnings": 1}
    errors = [line for line in result.stderr.lines if line.startswith("::error ")]
    assert len(errors) == 1
    where, message = errors[0].split("::", 2)[1:]
    assert where == f"error file=holdout/models/schema.yml,line={line_of(text, '- accepted_values:')}"
    headline = message.split("%0A")[0]
    assert headline == "dbt test accepted_values_good_model_team__nobody"
    warnings = [line for line in result.stderr.lines if line.startswith("::warning ") and "DbtTestWarning" not in line
                and "schema.yml" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"::warning file=holdout/models/schema.yml,line={line_of(text, '- not_null:')}::"
                                  "dbt test not_null_good_model_team: ")
