"""DbtGraph: dbt's DAG as the plugin walks it (why a node was skipped, dbt's run order)."""

from __future__ import annotations

from pytest_planalign_dbt.runner.graph import DbtGraph, node_selector

# seed -> stg -> int -> fct, a data test on stg and on int, a unit test guarding int.
EDGES = [
    ("seed.p.raw", "seed", ()),
    ("model.p.stg", "model", ("seed.p.raw",)),
    ("model.p.int", "model", ("model.p.stg",)),
    ("model.p.fct", "model", ("model.p.int",)),
    ("model.p.side", "model", ("seed.p.raw",)),
    ("test.p.not_null_stg", "test", ("model.p.stg",)),
    ("test.p.unique_int", "test", ("model.p.int",)),
    ("unit_test.p.int.ut_int", "unit_test", ("model.p.int", "model.p.stg")),
    ("unit_test.p.int.ut_int_2", "unit_test", ("model.p.int", "model.p.stg")),
]
GRAPH = DbtGraph.from_edges(EDGES)


def test_ancestors_descendants_and_attached_tests() -> None:
    assert GRAPH.ancestors("model.p.fct") == {"model.p.int", "model.p.stg", "seed.p.raw"}
    assert GRAPH.descendants(["model.p.stg"]) >= {"model.p.int", "model.p.fct", "test.p.not_null_stg"}
    assert "model.p.side" not in GRAPH.descendants(["model.p.stg"])
    assert GRAPH.tests_of(["model.p.int"]) == {"test.p.unique_int", "unit_test.p.int.ut_int",
                                               "unit_test.p.int.ut_int_2"}


def test_a_skip_is_blamed_on_a_failed_ancestor_or_a_failed_test_of_one() -> None:
    failed = {"test.p.not_null_stg": "test not_null_stg (data_quality)"}
    # dbt build skips what is downstream of a failed test of an ancestor...
    assert GRAPH.why_skipped("model.p.fct", failed) == ["test not_null_stg (data_quality)"]
    # ...but not a node beside it.
    assert GRAPH.why_skipped("model.p.side", failed) == []
    failed = {"model.p.stg": "model stg (execution)", "test.p.not_null_stg": "test not_null_stg (data_quality)"}
    assert GRAPH.why_skipped("model.p.int", failed) == ["model stg (execution)", "test not_null_stg (data_quality)"]


def test_a_failed_unit_test_skips_its_model_and_its_siblings() -> None:
    failed = {"unit_test.p.int.ut_int": "unit test ut_int (unit_test)"}
    assert GRAPH.why_skipped("model.p.int", failed) == ["unit test ut_int (unit_test)"]
    assert GRAPH.why_skipped("unit_test.p.int.ut_int_2", failed) == ["unit test ut_int (unit_test)"]
    assert GRAPH.why_skipped("unit_test.p.int.ut_int", failed) == []  # never blamed on itself


def test_a_failed_on_run_start_hook_is_blamed_when_nothing_upstream_failed() -> None:
    failed = {"operation.p.p-on-run-start-0": "hook p-on-run-start-0 (execution)"}
    assert GRAPH.why_skipped("model.p.side", failed) == ["hook p-on-run-start-0 (execution)"]
    failed = {"operation.p.p-on-run-end-0": "hook p-on-run-end-0 (execution)"}
    assert GRAPH.why_skipped("model.p.side", failed) == []


def test_dbts_order_parents_first_unit_tests_before_and_data_tests_after_their_model() -> None:
    uids = [uid for uid, _, _ in reversed(EDGES)]
    names = {uid: uid.split(".")[-1] for uid in uids}
    order = GRAPH.order(uids, names)
    assert order.index("seed.p.raw") < order.index("model.p.stg") < order.index("model.p.int")
    assert order.index("unit_test.p.int.ut_int") < order.index("model.p.int") < order.index("test.p.unique_int")
    assert order.index("model.p.stg") < order.index("test.p.not_null_stg")
    assert order[-1] in ("model.p.fct", "test.p.unique_int")
    # Parents outside the selection do not count.
    assert GRAPH.order(["model.p.fct", "model.p.int"], names) == ["model.p.int", "model.p.fct"]


def test_a_cycle_in_a_hand_made_graph_does_not_hang_the_order() -> None:
    graph = DbtGraph.from_edges([("model.p.a", "model", ("model.p.b",)), ("model.p.b", "model", ("model.p.a",))])
    assert sorted(graph.order(["model.p.a", "model.p.b"], {})) == ["model.p.a", "model.p.b"]


def test_selectors_pick_exactly_one_node() -> None:
    assert node_selector("model", "p", "int", ("p", "staging", "int")) == "fqn:p.staging.int"
    assert node_selector("unit_test", "p", "ut_int", ("p", "int", "ut_int")) == "unit_test:p.ut_int"
    assert node_selector("unit_test", "", "ut_int", ()) is None
    assert node_selector("seed", "p", "raw", ()) == "raw"


def test_from_manifest_json_reads_nodes_and_unit_tests() -> None:
    data = {
        "nodes": {"model.p.a": {"resource_type": "model", "depends_on": {"nodes": ["seed.p.s"]},
                                "fqn": ["p", "a"], "package_name": "p", "name": "a"},
                  "seed.p.s": {"resource_type": "seed", "fqn": ["p", "s"], "package_name": "p", "name": "s"}},
        "unit_tests": {"unit_test.p.a.u": {"resource_type": "unit_test", "depends_on": {"nodes": ["model.p.a"]},
                                           "fqn": ["p", "a", "u"], "package_name": "p", "name": "u"}},
    }
    graph = DbtGraph.from_manifest_json(data)
    assert graph.ancestors("unit_test.p.a.u") == {"model.p.a", "seed.p.s"}
    assert graph.selector("model.p.a") == "fqn:p.a" and graph.selector("unit_test.p.a.u") == "unit_test:p.u"
