from __future__ import annotations

import pytest

from pytest_planalign_dbt.runner.failures.classify import (
    classify_dbt_error,
    classify_message,
    classify_node,
    pick_kind,
)
from pytest_planalign_dbt.runner.failures.errors import (
    DbtCompilationError,
    DbtDataQualityError,
    DbtError,
    DbtExecutionError,
    DbtTimeoutError,
    DbtTransientError,
    with_closest_ref,
)
from pytest_planalign_dbt.runner.failures.fixes import suggest_fix
from pytest_planalign_dbt.runner.results import NodeResult

LOCK = (
    'Runtime Error\n  IO Error: Could not set lock on file "/data/sim.duckdb": Conflicting lock is '
    "held in /usr/bin/python3.11 (PID 4242). See also https://duckdb.org/docs"
)


@pytest.mark.parametrize(
    ("stdout", "stderr", "expected"),
    [
        # dbt writes its errors to stdout: the old runner only read stderr.
        ("12:00:00  Compilation Error in model x (models/x.sql)\n  boom", "", DbtCompilationError),
        ("", "Parsing Error\n  at path ['models']", DbtCompilationError),
        ("Runtime Error in model y (models/y.sql)\n  Conversion Error", "", DbtExecutionError),
        ("Database Error in model y\n relation does not exist", "", DbtExecutionError),
        ("Failure in test not_null_x\n  Got 3 results, configured to fail if != 0", "", DbtDataQualityError),
        (LOCK, "", DbtTransientError),
        ("", "could not connect to server: Connection refused", DbtTransientError),
        ("something odd", "", DbtError),
    ],
)
def test_classify_dbt_error_reads_both_streams(stdout, stderr, expected) -> None:
    error = classify_dbt_error(stdout, stderr, 1)
    assert type(error) is expected


def test_classify_dbt_error_success_and_empty_output() -> None:
    assert classify_dbt_error("Compilation Error", "", 0) is None
    error = classify_dbt_error("", "", 2)
    assert error is not None and "dbt exited with code 2" in error.dbt_message


def test_classify_node() -> None:
    assert classify_node("success", "OK") is None
    assert classify_node("warn", "Got 1 result") is None
    assert classify_node("skipped", None) is None
    assert classify_node("fail", "Got 1 result, configured to fail") == "data_quality"
    assert classify_node("error", "Compilation Error in model a") == "compilation"
    assert classify_node("error", "Runtime Error in model a\n  Binder Error") == "execution"
    assert classify_node("error", "Database Error in test t") == "execution"
    assert classify_node("error", None) == "execution"
    assert classify_node("error", LOCK) == "transient"


def test_classify_message_prefers_the_first_line() -> None:
    # dbt's bare "Runtime Error" wrapping a task's own compilation error (an inline query's).
    assert classify_message("Runtime Error\n  Compilation Error in sql_operation inline_query\n  'x' is undefined") \
        == "compilation"
    assert classify_message("Runtime Error\n  Runtime Error in sql_operation inline_query\n  Binder Error") \
        == "execution"
    # A Runtime Error whose SQL happens to mention a compilation word stays an execution error.
    assert classify_message("Runtime Error in model a\n  Compilation Error mentioned") == "execution"
    assert classify_message("  \nsee above: Compilation Error") == "compilation"
    assert classify_message("") == "unknown"
    assert pick_kind(["data_quality", "execution"]) == "execution"
    assert pick_kind([]) == "unknown"


def test_lock_fix_names_the_holder_pid_and_file() -> None:
    fix = suggest_fix("transient", LOCK)
    assert "PID 4242" in fix and "/data/sim.duckdb" in fix and "kill 4242" in fix


@pytest.mark.parametrize(
    ("kind", "message", "needle"),
    [
        ("compilation", "Model 'model.p.a' depends on a node named 'stg_x' which was not found", "ref('stg_x')"),
        ("unknown", "Could not find profile named 'nope'", "profiles.yml"),
        ("unknown", "The profile 'p' does not have a target named 'prod'", "pick a target"),
        ("unknown", "fatal: dbt_project.yml not found", "dbt_project.yml"),
        ("transient", "server closed the connection unexpectedly", "retry"),
        ("timeout", "timed out", "raise the timeout"),
        ("compilation", "Parsing Error in model x", "dbt parse"),
        ("compilation", "Compilation Error", "dbt compile --select"),
        ("execution", "Runtime Error", "node's SQL"),
        # Spark's analysis errors and a lost session (dbt-spark's messages)
        ("execution", "Runtime Error in model m\n  [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or "
                      "function parameter with name `no_such_column` cannot be resolved.", "upstream relation's columns"),
        ("execution", "Runtime Error in model m\n  [TABLE_OR_VIEW_NOT_FOUND] The table or view `x`.`y` cannot be "
                      "found.", "build the upstream node first"),
        ("unknown", "Cannot call methods on a stopped SparkContext.", "start a new process"),
        ("execution", "Runtime Error\n  Spark's JVM in this process is gone (py4j could not reach it)",
         "spark.driver.memory"),
        ("data_quality", "Got 2 results", "failing rows"),
        ("unknown", "?", "dbt log"),
    ],
)
def test_suggest_fix(kind, message, needle) -> None:
    assert needle in suggest_fix(kind, message)


def test_error_carries_nodes_message_compiled_path_and_fix() -> None:
    nodes = [
        NodeResult(f"model.p.m{i}", f"m{i}", "model", "error", "Runtime Error\nboom",
                   compiled_path="/t/compiled/p/models/m.sql" if i == 3 else None,
                   original_file_path="models/m.sql")
        for i in range(12)
    ]
    error = DbtExecutionError("Runtime Error\nboom", nodes=nodes)
    text = str(error)
    assert "dbt execution error in 12 node(s)" in text
    # dbt's lines stay lines for the first nodes (a caret keeps its column), one line for the rest.
    assert "  - model m0 (models/m.sql): error\n      Runtime Error\n      boom\n" in text
    assert "  - model m3 (models/m.sql): error: Runtime Error | boom" in text
    assert "... and 2 more" in text
    assert error.compiled_path == "/t/compiled/p/models/m.sql"
    assert "compiled SQL: /t/compiled/p/models/m.sql" in text
    assert error.node_names[:2] == ["m0", "m1"]
    bare = DbtTimeoutError("dbt ran longer than 3s")
    assert str(bare).startswith("dbt timeout\n") and "dbt ran longer than 3s" in str(bare)
    assert str(DbtError("x", fix="do y")).endswith("fix: do y")


@pytest.mark.parametrize(
    ("kind", "message", "resource_type", "name", "needle"),
    [
        ("execution", "Runtime Error in seed s\n  CSV Error on Line: 3\n  Sniffed type: VARCHAR", "seed", "s",
         "the CSV of seed s does not fit the seed's column_types"),
        ("execution", "Runtime Error in seed s\n  disk full", "seed", "s", "`dbt seed --select s` reproduces it"),
        ("compilation", "Compilation Error in model c\n  This model has an enforced contract that failed.",
         "model", "c", "`dbt run --select c` reproduces it"),
        ("execution", "p.on-run-end.0 failed, error:\n Catalog Error", "operation", "p-on-run-end-0",
         "fix on-run-end hook #0 in the dbt_project.yml of p"),
        ("compilation", "Compilation Error in model.p.x, caused by compilation error in referenced ephemeral model "
         "model.p.eph", "model", "x", "fix ephemeral model eph (dbt inlines it into x"),
        ("execution", "Source freshness check failed", "source", "raw.orders", "`dbt source freshness` reproduces it"),
        ("unknown", "Error: No such option: --full-refersh", None, None, "remove or correct --full-refersh"),
        ("execution", "Runtime Error in snapshot s", "snapshot", "s", "unique_key / strategy config"),
        ("unknown", "dbt found 1 package(s) specified in packages.yml, but only 0 package(s) installed", None, None,
         "`dbt deps`"),
    ],
)
def test_each_node_type_gets_its_own_fix(kind, message, resource_type, name, needle) -> None:
    assert needle in suggest_fix(kind, message, None, resource_type, name)


def test_trimming_keeps_what_went_wrong_and_drops_reader_settings() -> None:
    from pytest_planalign_dbt.runner.failures.messages import trim_message

    message = "Conversion Error\n" + "".join(f"    setting_{chr(97 + i)} = x\n" for i in range(15)) + "  Sniffed type: VARCHAR\n"
    assert trim_message(message) == ["Conversion Error", "  Sniffed type: VARCHAR"]
    long = "\n".join(f"line {i}" for i in range(40))
    cut = trim_message(long, 10)
    assert len(cut) == 10 and cut[-1] == "... (31 more line(s) in the dbt log)"


def test_kinds_and_statuses_are_dbts_own_words() -> None:
    from pytest_planalign_dbt.runner import Kind, Status
    from pytest_planalign_dbt.runner.failures.kinds import label

    assert Kind.DATA_QUALITY == "data_quality" and str(Kind.COMPILATION) == "compilation"
    assert Kind.of("execution") is Kind.EXECUTION and Kind.of("no such kind") is Kind.UNKNOWN
    assert Kind.of(None) is Kind.UNKNOWN and label(None) == "error" and label("unit_test") == "unit test failure"
    assert Status("runtime error") is Status.RUNTIME_ERROR and f"{Status.FAIL}" == "fail"
    import json

    assert json.dumps({"status": Status.SKIPPED, "kind": Kind.TIMEOUT}) == '{"status": "skipped", "kind": "timeout"}'


def test_a_missing_var_and_an_unseen_ref_name_their_fix() -> None:
    from pytest_planalign_dbt.runner.failures.fixes import suggest_fix

    var = suggest_fix("compilation", "Compilation Error in model m\n  Required var 'start_year' not found in config")
    assert var.startswith("pass var 'start_year': --dbt-vars '{start_year: ...}' in pytest")
    assert "dbt_vars={'start_year': ...}" in var
    unseen = suggest_fix("compilation", "dbt was unable to infer all dependencies for the model \"m\".")
    assert "-- depends_on: {{ ref('that_model') }}" in unseen


def test_a_missing_ref_names_the_closest_refable_names_and_nothing_when_none_is_close() -> None:
    message = "Model 'model.p.a' (models/a.sql) depends on a node named 'stg_ordrs' which was not found"
    names = ["stg_orders", "stg_customers", "orders", "zzz"]
    error = DbtCompilationError(message)
    with_closest_ref(error, lambda: names)
    assert error.fix.startswith("did you mean 'stg_orders'? check the name in ref('stg_ordrs')")
    assert str(error).endswith(f"fix: {error.fix}")  # the rendered text follows the new fix
    far = DbtCompilationError(message)
    with_closest_ref(far, lambda: ["zzz"])
    assert far.fix.startswith("check the name in ref('stg_ordrs')")
    other = DbtCompilationError("Compilation Error: unexpected '}'")
    with_closest_ref(other, lambda: pytest.fail("names are read only for a missing ref"))
    assert "did you mean" not in other.fix


def test_each_kind_is_declared_once_and_every_reader_follows_the_table() -> None:
    from pytest_planalign_dbt.runner.failures.errors import ERROR_CLASSES
    from pytest_planalign_dbt.runner.failures.kinds import KINDS, SEVERITY, Kind

    assert set(KINDS) == set(Kind) and SEVERITY == tuple(KINDS)
    assert {k: cls.kind for k, cls in ERROR_CLASSES.items()} == {k: k for k in Kind}
    assert [k for k in Kind if k.info.when_errored == "failed"] == [Kind.EXECUTION, Kind.DATA_QUALITY, Kind.UNIT_TEST]
    assert [k.info.category for k in Kind if k.info.category] == [("dq_failed", "Q", "DQ_FAILED")]
    # The generic fixes: a transient or timed-out seed hears about that first; a failing data
    # test that finds too few rows is told so, whichever node it is.
    assert suggest_fix("timeout", "took too long", resource_type="seed").startswith("raise the timeout")
    assert suggest_fix("data_quality", "Got 0 results, configured to fail if <1").startswith(
        "the test's query found too few rows")
    assert suggest_fix("data_quality", "Got 3 results, configured to fail if !=0").startswith("query the failing rows")


def test_every_status_dbt_reports_is_a_pass_or_a_failure_and_nothing_else_passes() -> None:
    """An item passes only on a status known to be one; dbt's every node status is placed (a
    new one fails the item until it is, and this test says which)."""
    from dbt.artifacts.schemas.results import NodeStatus

    from pytest_planalign_dbt.runner.failures.kinds import FAILED, PASSING, Status

    assert not PASSING & FAILED
    assert {str(s) for s in NodeStatus} - {Status.SKIPPED} == {str(s) for s in PASSING | FAILED}
