"""dbt test coverage from canned manifests: what counts as tested, the table, the gate."""

from __future__ import annotations

import json

import pytest

from pytest_planalign_dbt.session.coverage import CoverageReport, ModelCoverage, columns_query, measure, relations
from pytest_planalign_dbt.session.coverage_render import (
    json_report,
    markdown,
    parse_fail_under,
    parse_reports,
    shortfalls,
    table_rows,
    terminal_lines,
)


def _model(name: str, columns: dict[str, str] | None = None, path: str = "models/marts", **extra):
    return {"unique_id": f"model.p.{name}", "name": name, "resource_type": "model",
            "original_file_path": f"{path}/{name}.sql", "database": "db", "schema": "main", "alias": name,
            "config": {"materialized": extra.pop("materialized", "table"), "enabled": True},
            "columns": {c: {"name": c, "description": d} for c, d in (columns or {}).items()}, **extra}


def _test(name: str, model: str | None, column: str | None = None, *, attached: bool = True,
          depends: list[str] | None = None, enabled: bool = True, arg: bool = False):
    kwargs = {"arg": column} if arg else ({"column_name": column} if column else {})
    return {"unique_id": f"test.p.{name}_{model}_{column}", "resource_type": "test", "name": name,
            "attached_node": f"model.p.{model}" if attached and model else None,
            "column_name": None if arg else column,
            "test_metadata": {"name": name, "kwargs": kwargs} if name != "singular" else None,
            "depends_on": {"nodes": depends if depends is not None else ([f"model.p.{model}"] if model else [])},
            "config": {"enabled": enabled}}


MANIFEST = {
    "nodes": {n["unique_id"]: n for n in [
        _model("orders", {"id": "the key", "amount": "", "Status": "paid or not"}),
        _model("customers", {"id": "", "email": ""}, path="models/staging"),
        _model("bare", path="models/staging"),
        _model("combo", {"a": "", "b": ""}),
        _model("eph", materialized="ephemeral"),
        _model("metrics", version=2),
        _test("unique", "orders", "id"), _test("not_null", "orders", "id"),
        _test("accepted_values", "orders", "status"),
        _test("unique", "customers", "id"),  # unique alone is no tested key
        _test("not_null", "customers", "email", enabled=False),  # disabled: counts for nothing
        _test("unique_combination_of_columns", "combo"),  # a key, on no single column
        _test("singular", None, depends=["model.p.orders", "model.p.combo"]),  # reads two models
        _test("not_null", "metrics", "value", attached=False, arg=True),  # old style: depends_on, kwargs.arg
    ]},
    "unit_tests": {"unit_test.p.orders.u": {"depends_on": {"nodes": ["model.p.orders"]}},
                   "unit_test.p.other.u": {"depends_on": {"nodes": ["model.p.not_selected"]}}},
}
SELECTED = [uid for uid in MANIFEST["nodes"] if uid.startswith("model.")] + ["seed.p.s"]


def _by_name(report: CoverageReport) -> dict[str, ModelCoverage]:
    return {m.name: m for m in report.models}


def test_what_counts_as_tested_keyed_and_documented() -> None:
    report = measure(MANIFEST, SELECTED, {"model.p.orders": ["ID", "amount", "status", "created_at"],
                                          "model.p.bare": ["x", "y"]})
    models = _by_name(report)
    orders = models["orders"]
    assert orders.columns == ("id", "amount", "status", "created_at")  # YAML's, then the warehouse's new ones
    assert orders.tested_columns == ("id", "status") and orders.documented_columns == ("id", "status")
    assert (orders.tests, orders.unit_tests, orders.primary_key, orders.columns_from) == (4, 1, True, "yaml+warehouse")
    assert models["customers"].primary_key is False and models["customers"].tests == 1
    assert models["combo"].primary_key is True and models["combo"].tested_columns == ()
    assert models["bare"].tested is False and models["bare"].columns_from == "warehouse"
    assert models["eph"].columns_from == "none" and models["metrics.v2"].tested_columns == ()
    assert models["metrics.v2"].tests == 1  # attached through depends_on; its column is not declared
    assert "seed.p.s" not in {m.unique_id for m in report.models}


def test_measures_are_shares_and_nothing_known_is_no_percent() -> None:
    report = measure(MANIFEST, SELECTED, {"model.p.bare": ["x", "y"]})
    assert report.counts("models") == (4, 6)
    assert report.counts("columns") == (3, 9) and report.counts("documented") == (2, 9)
    assert report.counts("primary_keys") == (2, 6)
    assert report.percent("models") == pytest.approx(100 * 4 / 6)
    assert CoverageReport().percent("columns") is None
    assert report.columns_from() == "yaml+warehouse" and CoverageReport().columns_from() == "none"
    with pytest.raises(ValueError, match="unknown coverage measure 'rows'"):
        report.counts("rows")


def test_the_table_lists_the_untested_first_by_model_or_folder() -> None:
    report = measure(MANIFEST, SELECTED)
    rows = table_rows(report, "model")
    assert rows[0][:3] == ["model", "tested", "columns tested"]
    assert [r[0] for r in rows[1:3]] == ["bare", "eph"] and rows[-1][0] == "TOTAL" and rows[-1][1] == "4/6"
    folders = table_rows(report, "folder")
    assert [r[0] for r in folders[1:-1]] == ["models/staging", "models/marts"]
    assert folders[1][1] == "1/2"  # one of the folder's two models is tested
    lines = terminal_lines(report, "model")
    assert lines[1] == "-" * len(lines[0]) and lines[-1].startswith("models tested 67%; columns tested")
    assert "(columns known from yaml)" in lines[-1]


def test_reports_round_trip_and_say_the_same_figures() -> None:
    report = measure(MANIFEST, SELECTED, {"model.p.bare": ["x"]})
    assert CoverageReport.from_json(report.to_json()) == report
    data = json.loads(json_report(report))
    assert data["totals"]["columns"] == {"covered": 3, "total": 8, "percent": 37.5}
    assert {m["name"]: m["tested"] for m in data["models"]}["bare"] is False
    text = markdown(report, "model")
    assert text.startswith("## dbt test coverage\n\n| model | tested |") and "| **TOTAL** | **4/6** |" in text


def test_the_gate_says_which_measure_fell_short_and_by_how_much() -> None:
    report = measure(MANIFEST, SELECTED)  # columns 3/7 = 42.9%, models 4/6
    assert shortfalls(report, {"columns": 40, "models": 60}) == []
    assert shortfalls(report, parse_fail_under("50")) == [
        "dbt coverage: FAIL columns tested 42.9% is under the required 50% (--dbt-coverage-fail-under), "
        "7.1 points short"]
    assert len(shortfalls(report, parse_fail_under("models=100, primary_keys=90"))) == 2
    assert shortfalls(CoverageReport(), {"columns": 100}) == []  # nothing to count: nothing short


@pytest.mark.parametrize(("text", "error"), [
    ("colums=80", "unknown coverage measure 'colums'"), ("columns=101", "a percent from 0 to 100"),
    ("nan", "a percent from 0 to 100"), ("columns=", "a percent from 0 to 100"),
])
def test_a_bad_minimum_is_refused_with_the_fix(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_fail_under(text)


def test_report_destinations_are_format_and_path() -> None:
    assert parse_reports("json:a.json  markdown:b/c.md") == ("json:a.json", "markdown:b/c.md")
    for bad in ("html:x", "json:", "a.json", " "):
        with pytest.raises(ValueError, match="FORMAT:PATH"):
            parse_reports(bad)


def test_the_warehouse_query_asks_the_adapter_for_built_models_only() -> None:
    rels = relations(MANIFEST, SELECTED)
    assert ("model.p.eph", "db", "main", "eph") not in rels and ("model.p.orders", "db", "main", "orders") in rels
    catalog = columns_query(rels)  # one catalog query per database, as dbt docs generate asks
    assert 'get_catalog(info, schemas)' in catalog and '[["db", ["main"]]]' in catalog
    per_relation = columns_query(rels, catalog=False)  # an adapter without dbt's catalog macro
    assert "adapter.get_columns_in_relation" in per_relation and '"model.p.orders", "db", "main", "orders"' in per_relation
    assert catalog.endswith("{{ tojson(found) }}") and per_relation.endswith("{{ tojson(found) }}")
