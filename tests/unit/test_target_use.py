"""Which target fields a parse reads (runner/parse/target_use.py): what decides whether a kept
parse serves another profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_planalign_dbt.runner.parse.target_use import EVERY, fields_read, relevant, scan


@pytest.mark.parametrize(("code", "fields"), [
    ("{{ target.schema }}", {"schema"}),
    ("{% if target.name == 'prod' %}{% endif %}", {"name"}),
    ("{{ target.get('database') }} {{ target['type'] }} {{ target [ \"threads\" ] }}", {"database", "type", "threads"}),
    ("{{ my_macro(target) }}", {EVERY}),  # passed whole
    ("{{ target | tojson }}", {EVERY}),
    ("{{ target[key] }}", {EVERY}),  # a computed key
    ("{{ target.keys() }}", {EVERY}),  # a method
    ("{{ adapter.config.credentials.path }}", {EVERY}),
    ("{{ config.get('target') }} {{ this.target }} {% set target_schema = 1 %} {{ f(target=x) }}", set()),
    ("{% macro m(target, source) %}{{ target.render() }}{{ g(target) }}{{ target.schema }}{% endmacro %}",
     {"schema"}),  # a macro's own argument: only named fields count
    ("{% set target = ref('x') %}{{ h(target) }}", set()),
    ("select 1", set()),
])
def test_the_fields_a_piece_of_jinja_reads(code: str, fields: set[str]) -> None:
    assert fields_read(code) == fields


def test_a_project_reads_what_dbt_s_own_naming_macros_read_and_what_its_files_add(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: p\nmodels:\n  p:\n    +enabled: \"{{ target.type == 'duckdb' }}\"\n")
    (root / "models" / "a.sql").write_text("-- {{ target.path }}: a SQL comment still renders\nselect 1")
    (root / "models" / "b.sql").write_text("{# {{ target.password }} #}\nselect '{{ target.user }}' as u")
    assert scan(root, "duckdb") == {"schema", "database", "name", "type", "user", "path"}
    (root / "models" / "c.sql").write_text("select {{ helper(target) }}")
    assert EVERY in scan(root, "duckdb")


def test_the_digest_covers_the_fields_read_only_and_all_of_them_for_every() -> None:
    a = {"path": "/a/sim.duckdb", "database": "sim", "schema": "main", "threads": 1}
    b = {**a, "path": "/b/sim.duckdb", "threads": 8}
    assert relevant(a, {"database", "schema", "unknown"}) == relevant(b, {"database", "schema"})
    assert relevant(a, {"database", "path"}) != relevant(b, {"database", "path"})
    assert relevant(a, {EVERY}) != relevant(b, {EVERY})
