"""The plugin on the feature-rich project: one red build feeds many asserts.

Hooks, ephemeral models, packages, versions, a Python model, long test names,
skip reasons, fix lines, the store_failures table, JUnit, collection by path.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers.verdicts import DBT, assert_follows_dbt, cli_env, copy_project, run_pytest

# One module-scoped build feeds every test here: under xdist, one worker runs them all.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("rich")]

RICH = Path(__file__).parents[1] / "projects" / "rich"


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("rich")
    copy_project(RICH, root)
    result = run_pytest(root, "--dbt-project-dir=rich", "--dbt-select=*", "--dbt-threads=1", "-v", "-rA",
                        "--junitxml=report.xml")
    return root, result


@pytest.mark.dbt_matrix
def test_outcomes_follow_dbts_own_verdict(rich, shared_dir: Path) -> None:
    """The fidelity rule (tests/plugin/test_fidelity.py) on this same run."""
    root, result = rich
    assert result.returncode == 1
    assert_follows_dbt(RICH, root / "rich", root / "report.xml", result.returncode, shared_dir)


def _lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines()


def _has(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    text = result.stdout
    missing = [n for n in needles if n not in text]
    assert not missing, text[-4000:]


def test_red_build_outcomes_per_node(rich) -> None:
    root, result = rich
    assert result.returncode == 1
    _has(result,
         "rich/dbt_project.yml::rich-on-run-start-0 PASSED",
         "rich/dbt_project.yml::rich-on-run-end-0 FAILED",
         "rich/seeds/bad_amounts.csv::bad_amounts FAILED",
         "rich/models/marts/contracted.sql::contracted ERROR",
         "rich/models/marts/flagged_customers.sql::flagged_customers ERROR",
         "rich/models/marts/dim_segment_v1.sql::dim_segment.v1 PASSED",
         "rich/models/marts/py_scores.py::py_scores PASSED",
         "rich/models/marts/fct_revenue-daily.sql::fct_revenue-daily PASSED",
         "rich/snapshots/orders_snapshot.sql::orders_snapshot PASSED",
         "rich/models/marts/orders_incremental.sql::orders_incremental PASSED")
    # Ephemeral models are no items, and the listing line says so; disabled ones are no items either.
    assert "2 of them ephemeral (dbt inlines those into their children: no items)" in result.stdout
    assert "::eph_enterprise" not in result.stdout and "::eph_flagged" not in result.stdout
    assert "::disabled_model" not in result.stdout
    assert "Traceback" not in result.stdout and "File name too long" not in result.stdout


def test_reports_carry_no_dbt_log_and_each_failure_is_short(rich) -> None:
    """dbt's debug log stays in logs/dbt.log: no report carries it (pytest attaches its capture
    to dbt's non-propagating loggers), -rA adds nothing for a passing node, and each failure's
    report is its node's own few lines."""
    _, result = rich
    text = result.stdout
    assert "file_log" not in text and "Captured log" not in text
    sections = ("ERRORS", "FAILURES", "DATA QUALITY FAILURES")
    blocks = re.split(r"\n=+ (?:[A-Z ]+|[a-z ]+) =+\n", text)
    reports = [b for title, b in zip(re.findall(r"\n=+ ((?:[A-Z ]+|[a-z ]+)) =+\n", text), blocks[1:])
               if title in sections]
    failures = [f for block in reports for f in re.split(r"\n?_{3,} .+ _{3,}\n", block) if f.strip()]
    assert len(failures) == 7 and max(len(f.splitlines()) for f in failures) <= 30, failures
    passes = next(b for t, b in zip(re.findall(r"\n=+ ((?:[A-Z ]+|[a-z ]+)) =+\n", text), blocks[1:])
                  if t == "PASSES")
    assert not re.search(r"_{3,} .+ _{3,}", passes), passes  # no passing item has a report


def test_package_nodes_live_under_dbt_packages(rich) -> None:
    _, result = rich
    _has(result,
         "rich/dbt_packages/rich_pkg/models/pkg_customers.sql::pkg_customers PASSED",
         "rich/dbt_packages/rich_pkg/models/stg_customers.sql::stg_customers PASSED",
         "rich/models/staging/stg_customers.sql::stg_customers PASSED",
         "rich/dbt_packages/rich_pkg/models/schema.yml::not_null_pkg_customers_id PASSED")


def test_skip_reasons_name_the_failed_node(rich) -> None:
    root, result = rich
    cases = {c.get("name"): c for c in ET.parse(root / "report.xml").getroot().iter("testcase")}
    long_name = next(n for n in cases if n.startswith("accepted_values_broken_mart_status__"))
    assert len(long_name.encode()) > 255  # longer than any file name may be
    assert cases[long_name].find("skipped").get("message") == (  # a YAML node: the reason names it
        f"skipped by dbt: upstream model broken_mart (execution) failed (test {long_name})")
    assert cases["customer_rank"].find("skipped").get("message") == (
        "skipped by dbt: upstream test not_negative_customer_orders_revenue (data_quality) failed")


def test_each_failure_has_one_fix_right_for_its_node_type(rich) -> None:
    _, result = rich
    text = result.stdout
    _has(result,
         "dbt execution error: hook rich-on-run-end-0 (dbt_project.yml)",
         "fix: fix on-run-end hook #0 in the dbt_project.yml of rich",
         "dbt execution error: seed bad_amounts (seeds/bad_amounts.csv)",
         "Column at position: 1 Set type: INTEGER Sniffed type: VARCHAR",
         "fix: the CSV of seed bad_amounts does not fit the seed's column_types",
         "fix: make the columns and data types of model contracted match its contract",
         "`dbt run --select contracted` reproduces it",
         "eph_flagged is broken on purpose (red)",
         'failing rows stored in: "rich"."main_dbt_test__audit"."not_negative_customer_orders_revenue"')
    assert "delimiter = ," not in text  # DuckDB's CSV reader settings are trimmed
    reports = text.split("short test summary info")[0]
    for block in reports.split("dbt execution error:")[1:]:
        assert block.split("\n_")[0].count("  fix: ") == 1
    assert "run the model's SQL" not in text


def test_junit_carries_ids_times_and_the_hook(rich) -> None:
    root, _ = rich
    cases = list(ET.parse(root / "report.xml").getroot().iter("testcase"))
    by_name = {c.get("name"): c for c in cases}
    props = {p.get("value") for c in cases for p in c.iter("property") if p.get("name") == "dbt_unique_id"}
    assert "operation.rich.rich-on-run-end-0" in props and "model.rich_pkg.pkg_customers" in props
    assert by_name["rich-on-run-end-0"].find("failure") is not None
    assert float(by_name["contracted"].get("time")) > 0  # an error keeps the node's time


def test_summary_counts_nodes_and_hooks_apart(rich) -> None:
    _, result = rich
    summary = next(line for line in _lines(result) if "dbt build:" in line)
    assert "node(s) and 3 hook(s)" in summary and "1 attempt(s)" in summary
    assert "Captured stderr" not in result.stdout


def test_ids_can_be_given_back_by_file_dir_and_name(rich, run, monkeypatch) -> None:
    root, result = rich
    monkeypatch.chdir(root)  # collect-only runs of the plugin in this process, on the module's build
    by_file = run("--dbt-project-dir=rich", "--dbt-select=*", "--collect-only", "-q",
                  "rich/models/marts/contracted.sql::contracted")
    assert by_file.ret == 0, by_file.stdout.str()
    ids = [line for line in by_file.stdout.lines if "::" in line]
    assert "rich/models/marts/contracted.sql::contracted" in ids
    assert all("contracted" in i or "dbt_project.yml::" in i for i in ids)  # and the hooks
    by_dir = run("--dbt-project-dir=rich", "--dbt-select=*", "--collect-only", "-q", "rich/models/staging")
    ids = [line for line in by_dir.stdout.lines if "::" in line]
    assert ids and all(i.startswith(("rich/models/staging/", "rich/dbt_project.yml::")) for i in ids)
    # The space-separated spelling gives the same ids here (the rootdir has its own ini).
    spaced = run("--dbt-project-dir", "rich", "--dbt-select=*", "--collect-only", "-q")
    spaced_ids = {line for line in spaced.stdout.lines if "::" in line}
    ran_ids = {m[1] for m in re.finditer(r"^(rich/\S+::\S+) (?:PASSED|FAILED|ERROR|SKIPPED|DQ_FAILED)",
                                          result.stdout, re.M)}
    assert spaced_ids == ran_ids and len(ran_ids) > 35


# Written by the collect-only run below: what an editor's test explorer reads of each item.
LOCATIONS_PROBE = """
import json

def pytest_collection_finish(session):
    with open("locations.json", "w") as f:
        json.dump([[item.nodeid, *item.location[:2], getattr(item, "spec", None) and item.spec.resource_type]
                   for item in session.items], f)
"""


def test_each_item_points_at_the_line_of_its_entry_and_runs_alone_by_its_id(rich, run, monkeypatch,
                                                                              pytester) -> None:
    """As an editor does: collect, read each item's location, run one item by its id."""
    root, _ = rich
    monkeypatch.chdir(root)
    (root / "conftest.py").write_text(LOCATIONS_PROBE)
    try:
        assert run("--dbt-project-dir=rich", "--dbt-select=*", "--collect-only", "-q").ret == 0
    finally:
        (root / "conftest.py").unlink()
    located = json.loads((root / "locations.json").read_text())
    assert len(located) > 35
    for nodeid, path, line, kind in located:
        text = (root / path).read_text().splitlines()
        assert line is not None, nodeid
        name = nodeid.split("::")[-1].removeprefix("source_")  # dbt's prefix for a source's tests
        if kind == "test" and path.endswith(".yml"):  # a generic test: its entry names the test
            written = re.findall(r"[A-Za-z_]\w*", text[line])
            assert any(name.startswith(w) for w in written if w not in ("name", "data_tests", "tests")), \
                (nodeid, text[line])
            # ... and lies under its column or model: the nearest `- name:` above, less indented.
            indent = len(text[line]) - len(text[line].lstrip())
            owner = next(m.group(2) for above in reversed(text[:line])
                         if (m := re.match(r"(\s*)- name: *['\"]?([\w-]+)", above)) and len(m.group(1)) < indent)
            assert owner.lower() in name.lower(), (nodeid, owner)
        elif kind == "unit_test":
            assert f"name: {name}" in text[line], (nodeid, text[line])
        elif kind == "operation":
            assert text[line].lstrip().startswith("- "), (nodeid, text[line])
        else:
            assert line == 0, nodeid
    assert any("dbt_packages/" in path and kind == "test" for _, path, _, kind in located)  # a package's too
    # One data test by its id, its parents built by the module's run; JUnit's xunit1 family
    # carries the file and the line (pytest's default xunit2 has no such attributes).
    nodeid, path, line, _ = next(entry for entry in located if entry[3] == "test" and entry[1].endswith(".yml"))
    alone = run("--dbt-project-dir=rich", "--dbt-select=*", nodeid, "--junitxml=alone.xml", "-o", "junit_family=xunit1")
    assert alone.parseoutcomes().get("passed", 0) + alone.parseoutcomes().get("failed", 0) >= 1
    cases = [c for c in ET.parse(root / "alone.xml").getroot().iter("testcase")
             if "dbt_project.yml" not in c.get("file", "")]
    assert [(c.get("file"), c.get("line")) for c in cases] == [(path, str(line))]


def test_markers_follow_dbts_tag_selection(rich, run, monkeypatch) -> None:
    root, _ = rich
    monkeypatch.chdir(root)
    listed = subprocess.run([DBT, "ls", "--select", "tag:finance", "--resource-types", "model", "test",
                             "unit_test", "seed", "snapshot", "--output", "name", "--quiet", "--profiles-dir", "."],
                            cwd=root / "rich", capture_output=True, text=True, env=cli_env())
    names = {line.strip() for line in listed.stdout.splitlines() if line.strip()}
    marked = run("--dbt-project-dir=rich", "--dbt-select=*", "--collect-only", "-q", "-m", "finance")
    ids = [line for line in marked.stdout.lines if "::" in line]
    assert len(ids) == len(names) > 6, (names, ids)
    markers = run("--dbt-project-dir=rich", "--dbt-select=*", "--markers")
    assert "@pytest.mark.finance: dbt tag finance" in markers.stdout.str()


def test_a_project_with_its_own_pytest_config_refuses_the_spaced_spelling(tmp_path: Path, run, monkeypatch) -> None:
    copy_project(RICH, tmp_path)
    (tmp_path / "rich" / "pytest.ini").write_text("[pytest]\naddopts = -x\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "pytest.ini").write_text("[pytest]\n")
    monkeypatch.chdir(tmp_path / "tests")
    spaced = run("--dbt-project-dir", "../rich", "--dbt-select=*", "--collect-only", "-q")
    assert spaced.ret == 4
    assert "write --dbt-project-dir=../rich (with '=')" in spaced.stderr.str()
