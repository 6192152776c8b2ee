from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from pytest_planalign_dbt.runner.events import (
    Dispatcher,
    EventSink,
    progress_from_event,
    strip_ansi,
)
from pytest_planalign_dbt.runner.results import (
    DbtResult,
    NodeResult,
    merge_nodes,
    nodes_from_run_results_json,
    read_run_results,
)

RUN_RESULTS = {
    "metadata": {"invocation_id": "inv-1"},
    "results": [
        {"unique_id": "model.p.a", "status": "success", "message": "OK", "failures": None,
         "execution_time": 0.5, "relation_name": '"db"."main"."a"', "compiled": True, "compiled_code": "select 1"},
        {"unique_id": "model.p.b", "status": "error",
         "message": "Runtime Error in model b (models/b.sql)\n  Conversion Error", "execution_time": 0.1},
        {"unique_id": "test.p.not_null_a_id.abc", "status": "fail", "compiled": True, "compiled_code": "select 1",
         "message": "Got 2 results, configured to fail if != 0", "failures": 2, "execution_time": 0.2},
        {"unique_id": "model.p.c", "status": "skipped", "message": None, "execution_time": 0},
    ],
}
MANIFEST_NODES = {
    "model.p.a": {"name": "a", "resource_type": "model", "package_name": "p",
                  "original_file_path": "models/a.sql", "compiled_path": "target/compiled/p/models/a.sql"},
    "test.p.not_null_a_id.abc": {"name": "not_null_a_id", "resource_type": "test", "package_name": "p",
                                 "original_file_path": "models/schema.yml", "path": "not_null_a_id.sql"},
}


def test_nodes_from_run_results_json(tmp_path: Path) -> None:
    target = tmp_path / "target"
    (target / "compiled/p/models/schema.yml").mkdir(parents=True)
    (target / "compiled/p/models/a.sql").write_text("select 1")
    (target / "compiled/p/models/schema.yml/not_null_a_id.sql").write_text("select 1")
    nodes = {n.name: n for n in nodes_from_run_results_json(RUN_RESULTS, MANIFEST_NODES, target)}
    assert nodes["a"].status == "success" and nodes["a"].error_class is None
    assert nodes["a"].compiled_path == str(target / "compiled/p/models/a.sql")
    assert nodes["b"].error_class == "execution" and nodes["b"].compiled_path is None
    assert nodes["b"].resource_type == "model"  # from the unique id when the manifest lacks it
    dq = nodes["not_null_a_id"]
    assert (dq.error_class, dq.failures) == ("data_quality", 2)
    assert dq.compiled_path == str(target / "compiled/p/models/schema.yml/not_null_a_id.sql")
    assert nodes["c"].status == "skipped" and not nodes["c"].failed
    assert [n.name for n in nodes.values() if n.failed] == ["b", "not_null_a_id"]
    assert dq.compiled_code == "select 1" and nodes["c"].compiled_code is None
    # A failed node's file that holds other SQL (a same-named test's, an earlier run's) is not shown.
    (target / "compiled/p/models/schema.yml/not_null_a_id.sql").write_text("select 2")
    again = {n.name: n for n in nodes_from_run_results_json(RUN_RESULTS, MANIFEST_NODES, target)}
    assert again["not_null_a_id"].compiled_path is None and again["a"].compiled_path is not None
    # A node dbt did not compile in this run has no compiled file, whatever is on disk.
    (target / "compiled/p/models/c.sql").write_text("select 3")
    assert again["c"].compiled_path is None


def test_read_run_results_never_blames_another_invocation(tmp_path: Path) -> None:
    (tmp_path / "run_results.json").write_text(json.dumps(RUN_RESULTS))
    assert read_run_results(tmp_path, "some-other-run") == (None, None)
    assert read_run_results(tmp_path, None) == (None, None)
    data, manifest = read_run_results(tmp_path, "inv-1")
    assert data == RUN_RESULTS and manifest is None
    (tmp_path / "manifest.json").write_text("{not json")
    assert read_run_results(tmp_path, "inv-1")[1] is None
    (tmp_path / "manifest.json").write_text('{"nodes": {}}')
    assert read_run_results(tmp_path, "inv-1")[1] == {"nodes": {}}
    (tmp_path / "run_results.json").write_text("{truncated")
    assert read_run_results(tmp_path, "inv-1") == (None, None)


def test_result_helpers() -> None:
    a1 = NodeResult("model.p.a", "a", "model", "error", "x")
    a2 = NodeResult("model.p.a", "a", "model", "success", "OK")
    b = NodeResult("model.p.b", "b", "model", "success", "OK")
    assert merge_nodes([a1, b], [a2]) == [a2, b]
    result = DbtResult(True, "", "", 1.0, 0, ["dbt", "run"], nodes=[a1, b])
    assert result.node("a") is a1 and result.node("model.p.b") is b and result.node("z") is None
    assert result.failed_nodes == [a1]
    long = NodeResult("model.p.a", "a", "model", "error", "y" * 400)
    assert long.describe().endswith("...") and len(long.describe()) < 360


def _event(name, level="info", msg="", **data):
    return {"info": {"name": name, "level": level, "msg": msg, "invocation_id": "inv-9"}, "data": data}


NODE_INFO = {"unique_id": "model.p.a", "node_name": "a", "resource_type": "model", "node_status": "success"}


def test_progress_from_events() -> None:
    start = progress_from_event(_event("LogStartLine", node_info=NODE_INFO, index=1, total=3))
    assert start is not None and (start.kind, start.name, start.index, start.total) == ("start", "a", 1, 3)
    done = progress_from_event(
        _event("LogModelResult", node_info=NODE_INFO, index=1, total=3, status="OK", execution_time=0.2)
    )
    assert done is not None and (done.kind, done.status, done.execution_time) == ("finish", "success", 0.2)
    test = progress_from_event(_event(
        "LogTestResult", node_info={"unique_id": "test.p.t.1", "node_status": "fail"}, status="fail",
        num_failures=4, index=2, total=3,
    ))
    assert test is not None and (test.status, test.failures, test.name, test.resource_type) == ("fail", 4, "1", "test")
    skip = progress_from_event(_event("SkippingDetails", node_info=NODE_INFO, index=3, total=3))
    assert skip is not None and skip.status == "skipped"
    assert progress_from_event(_event("SQLQuery", node_info=NODE_INFO)) is None
    assert progress_from_event(_event("LogStartLine", node_info={})) is None


def test_event_sink_collects_lines_ids_and_fatal_errors() -> None:
    dispatcher = Dispatcher()
    lines, progress = [], []
    sink = EventSink(dispatcher, lines.append, progress.append)
    sink.feed(_event("MainReportVersion", msg="Running with \x1b[32mdbt\x1b[0m=1.11"))
    sink.feed(_event("SQLQuery", level="debug", msg="select 1"))
    sink.feed(_event("LogStartLine", msg="1 of 1 START", node_info=NODE_INFO, index=1, total=1))
    sink.feed(_event("MainEncounteredError", level="error", msg="Encountered an error:\nParsing Error", exc="Parsing Error"))
    sink.feed(_event("NoNodesForSelectionCriteria", level="warn", msg="Nothing to do"))
    sink.feed_raw_line("plain \x1b[31mline\x1b[0m\n")
    assert dispatcher.close(5)
    assert sink.invocation_id == "inv-9"
    assert sink.fatal == "Parsing Error" and sink.no_nodes_selected
    assert lines == sink.lines == [
        "Running with dbt=1.11", "1 of 1 START", "Encountered an error:", "Parsing Error",
        "Nothing to do", "plain line",
    ]
    assert [p.kind for p in progress] == ["start"]
    assert strip_ansi("[32mPASS[0m") == "PASS"


def test_event_sink_reads_an_inline_query_s_compiled_sql_and_why_it_could_not_parse() -> None:
    sink = EventSink(Dispatcher(), None, None)
    sink.feed(_event("CompiledNode", compiled="select 1 as v", is_inline=True, node_name="inline_query"))
    sink.feed(_event("CompiledNode", compiled="select 2", is_inline=False, node_name="a_model"))
    assert sink.previews == ["select 1 as v"]  # the inline query's; a model's compiled SQL is no output
    assert sink.explained("Error parsing inline query") == "Error parsing inline query"
    sink.feed(_event("ParseInlineNodeError", level="error", exc="unexpected '}'\n  line 1"))
    sink.feed(_event("MainEncounteredError", level="error", exc="Error parsing inline query"))
    assert sink.fatal == "Compilation Error in inline query\n  unexpected '}'\n  line 1"
    assert sink.explained("Database Error") == "Database Error"


def test_a_raising_callback_is_logged_once_and_the_rest_still_run(caplog) -> None:
    dispatcher = Dispatcher()
    calls = []

    def bad(line: str) -> None:
        calls.append(line)
        raise RuntimeError("callback bug")

    with caplog.at_level(logging.ERROR):
        for i in range(5):
            dispatcher.put(bad, i)
        dispatcher.put(None, "ignored")
        assert dispatcher.close(5)
    assert calls == [0, 1, 2, 3, 4]
    assert sum("callback bug" in r.getMessage() or "raised" in r.getMessage() for r in caplog.records) == 1


def test_a_slow_callback_is_not_waited_for_forever() -> None:
    release = threading.Event()
    dispatcher = Dispatcher()
    dispatcher.put(lambda _: release.wait(10), None)
    assert dispatcher.close(0.2) is False
    release.set()


def test_dbts_banner_once_per_call_and_no_perf_info_line() -> None:
    lines: list[str] = []
    dispatcher = Dispatcher()
    sink = EventSink(dispatcher, lines.append, None)
    for event in (_event("MainReportVersion", msg="Running with dbt=1.12.0"),  # the parse's
                  _event("ParsePerfInfoPath", msg="Performance info: target/perf_info.json"),
                  _event("MainReportVersion", msg="Running with dbt=1.12.0"),  # the command's
                  _event("LogModelResult", msg="1 of 1 OK created model m")):
        sink.feed(event)
    dispatcher.close(5)
    assert lines == sink.lines == ["Running with dbt=1.12.0", "1 of 1 OK created model m"]


def test_enabled_names_from_a_manifest_object_or_its_file(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from pytest_planalign_dbt.runner.results import enabled_names

    manifest = SimpleNamespace(nodes={"model.p.b": SimpleNamespace(name="b"), "model.p.a": SimpleNamespace(name="a")})
    assert enabled_names(manifest, tmp_path) == ["a", "b"]
    assert enabled_names(None, tmp_path) == []  # no manifest.json yet
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": {"model.p.c": {"name": "c"}}}))
    assert enabled_names(None, tmp_path) == ["c"]
