"""The line of each node in its file (session/lines.py), found from the YAML as written."""

from __future__ import annotations

from pathlib import Path

from pytest_planalign_dbt.session.lines import NodeLines

SCHEMA = """\
version: 2
x-common: &common_tests
  - not_null
x-base: &base
  columns:
    - name: id
      data_tests:
        - relationships:
            arguments: {to: "ref('orders')", field: id}
        - relationships:
            arguments: {to: "ref('customers')", field: id}
        - {unique: {}, extra: 1}
models:
  - name: customers
    <<: *base
  - name: orders
    data_tests:
      - dbt_utils.expression_is_true:
          arguments:
            expression: "amount >= 0"
    columns:
      - name: id
        data_tests: [unique, not_null]
      - name: status
        data_tests:
          - accepted_values:
              values: ['a', 'b']
          - accepted_values:
              values: ['c']
              config:
                where: "id > 0"
      - name: "Amount"
        data_tests: *common_tests
      - name: kind
        tests:
          - name: kind_is_known
            test_name: accepted_values
            values: ['x']
sources:
  - name: raw
    tables:
      - name: events
        columns:
          - name: id
            data_tests:
              - unique
unit_tests:
  - name: orders_add_up
    model: orders
snapshots:
  - name: orders_history
    relation: ref('orders')
"""


def line_of(text: str, needle: str, nth: int = 0) -> int:
    """The 0-based line of the ``nth`` line holding ``needle``."""
    return [i for i, line in enumerate(text.splitlines()) if needle in line][nth]


def generic(name: str, column: str | None = None, owner: str = "models.orders", namespace: str | None = None,
         parents: tuple[str, ...] = (), **kwargs: object) -> dict[str, object]:
    return {"resource_type": "test", "name": f"{name}_x", "column_name": column, "file_key_name": owner,
            "test_metadata": {"name": name, "namespace": namespace, "kwargs": {"column_name": column, **kwargs}},
            "depends_on": {"nodes": list(parents)}}


def test_each_generic_test_points_at_its_entry(tmp_path: Path) -> None:
    path = tmp_path / "schema.yml"
    path.write_text(SCHEMA)
    lines = NodeLines()
    assert lines.line(path, generic("expression_is_true", namespace="dbt_utils", expression="amount >= 0")) == \
        line_of(SCHEMA, "dbt_utils.expression_is_true")
    flow = line_of(SCHEMA, "[unique, not_null]")
    assert lines.line(path, generic("unique", "id")) == flow == lines.line(path, generic("not_null", "id"))
    # The same test twice under one column: the entry whose arguments are the node's.
    assert lines.line(path, generic("accepted_values", "status", values=["a", "b"])) == line_of(SCHEMA, "accepted_values")
    assert lines.line(path, generic("accepted_values", "status", values=["c"])) == line_of(SCHEMA, "accepted_values", 1)
    # An alias points where its anchor's text is; a quoted column name found by case.
    assert lines.line(path, generic("not_null", "amount")) == line_of(SCHEMA, "  - not_null")
    # test_name: with a name of its own, under the legacy tests: key.
    assert lines.line(path, generic("accepted_values", "kind", values=["x"])) == line_of(SCHEMA, "- name: kind_is_known")
    # A merge key (<<: *base): the entry where the anchor's text is; of two, the node's arguments.
    customers = {"owner": "models.customers", "field": "id"}
    assert lines.line(path, generic("relationships", "id", to="ref('customers')", **customers)) == \
        line_of(SCHEMA, "- relationships:", 1)
    assert lines.line(path, generic("relationships", "id", to="ref('nowhere')", **customers)) == \
        line_of(SCHEMA, "- relationships:")  # none has the node's arguments: the first
    source_test = generic("unique", "id", owner="sources.raw", parents=("source.p.raw.events",))
    assert lines.line(path, source_test) == line_of(SCHEMA, "- unique")
    assert lines.line(path, {"resource_type": "unit_test", "name": "orders_add_up"}) == line_of(SCHEMA, "orders_add_up")
    assert lines.line(path, {"resource_type": "snapshot", "name": "orders_history"}) == line_of(SCHEMA, "orders_history")


def test_what_cannot_be_found_points_at_the_file(tmp_path: Path) -> None:
    path = tmp_path / "schema.yml"
    path.write_text(SCHEMA)
    lines = NodeLines()
    assert lines.line(path, generic("unique", "nowhere")) is None
    assert lines.line(path, generic("relationships", "id")) is None  # written by no entry here
    assert lines.line(path, generic("unique", owner="models.other")) is None
    assert lines.line(path, generic("unique", "id", owner="seeds.nothing")) is None  # no seeds: here
    assert lines.line(path, generic("unique", "id", owner="models.customers")) is None  # {unique:, extra:}
    assert lines.line(path, generic("unique", "id", owner="sources.raw")) is None  # which table?
    assert lines.line(path, {"resource_type": "unit_test", "name": "missing"}) is None
    broken = tmp_path / "broken.yml"
    broken.write_text("models: [\n")
    assert lines.line(broken, generic("unique", "id")) is None
    assert lines.line(tmp_path / "absent.yml", generic("unique", "id")) is None
    # A node in a file of its own: its first line.
    assert lines.line(tmp_path / "orders.sql", {"resource_type": "model", "name": "orders"}) == 0
    assert lines.line(tmp_path / "census.csv", {"resource_type": "seed", "name": "census"}) == 0


def test_a_hook_points_at_its_entry_in_dbt_project_yml(tmp_path: Path) -> None:
    text = "name: p\non-run-start:\n  - \"create schema if not exists x\"\n  - \"select 1\"\non_run_end: \"select 2\"\n"
    path = tmp_path / "dbt_project.yml"
    path.write_text(text)
    lines = NodeLines()
    assert lines.hook(path, "on-run-start", 0) == 2
    assert lines.hook(path, "on-run-start", 1) == 3
    assert lines.hook(path, "on-run-start", 2) is None
    assert lines.hook(path, "on-run-end", 0) == 4  # one hook written as a string, the key with _
    assert lines.hook(path, "on-run-end", 1) is None
    assert lines.hook(tmp_path / "none.yml", "on-run-start", 0) is None
