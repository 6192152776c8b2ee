"""Macro calls as Jinja, and what a failed render says (no dbt process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_planalign_dbt import DbtCommandError, DbtCompilationError, DbtExecutionError, Jinja
from pytest_planalign_dbt.runner.macro_errors import (
    MacroSource,
    called_macros,
    closest,
    explain,
    macro_names,
    where_it_failed,
)
from pytest_planalign_dbt.runner.macros import jinja_literal, macro_call


@pytest.mark.parametrize("value, jinja", [
    (None, "none"), (True, "true"), (False, "false"), (3, "3"), (2.5, "2.5"),
    ("it's \"x\"\n", '"it\'s \\"x\\"\\n"'), ([1, "a"], '[1, "a"]'), ({"k": (1, None)}, '{"k": [1, none]}'),
    (Jinja("ref('orders')"), "ref('orders')"),
])
def test_values_become_jinja_literals(value: object, jinja: str) -> None:
    assert jinja_literal(value) == jinja


@pytest.mark.parametrize("value", [object(), float("nan"), {1: "a"}, {"k": object()}])
def test_other_values_are_refused_with_the_way_out(value: object) -> None:
    with pytest.raises(DbtCommandError, match=r"Jinja\(\.\.\.\)"):
        jinja_literal(value)


def test_a_macro_call_with_positional_and_keyword_arguments() -> None:
    assert macro_call("dbt_utils.star", [Jinja("ref('o')")], {"except": ["id"]}) == \
        '{{ dbt_utils.star(ref(\'o\'), except=["id"]) }}'
    assert macro_call("now") == "{{ now() }}"
    for bad in ("a.b.c", "1x", "x y", "", None):
        with pytest.raises(DbtCommandError, match="macro name"):
            macro_call(bad)  # type: ignore[arg-type]
    with pytest.raises(DbtCommandError, match="identifiers"):
        macro_call("m", (), {"not valid": 1})


def macros(tmp_path: Path) -> dict[str, MacroSource]:
    file = tmp_path / "macros" / "m.sql"
    file.parent.mkdir()
    outer = "{% macro outer(x) %}\n  {{ inner(x) }}\n{% endmacro %}"
    inner = "{% macro inner(x) %}\n  {% if x == 0 %}\n    {{ exceptions.raise_compiler_error(\"inner: x is 0\") }}\n  {% endif %}\n  {{ helpr(x) }}\n{% endmacro %}"
    file.write_text("{# header #}\n" + outer + "\n\n" + inner + "\n")
    return {
        "macro.p.outer": MacroSource("outer", "p", "macros/m.sql", file, outer, ("macro.p.inner",)),
        "macro.p.inner": MacroSource("inner", "p", "macros/m.sql", file, inner),
        "macro.p.helper": MacroSource("helper", "p", "macros/m.sql", file, ""),
        "macro.dbt.concat": MacroSource("concat", "dbt"),
        "macro.dbt_duckdb.duckdb__concat": MacroSource(
            "duckdb__concat", "dbt_duckdb", "macros/utils.sql",
            Path("/venv/lib/python3.11/site-packages/dbt/include/duckdb/macros/utils.sql")),
        "macro.dbt_utils.star": MacroSource("star", "dbt_utils", "macros/star.sql", tmp_path / "dbt_packages" / "star.sql"),
        "macro.pkg.cents": MacroSource("cents", "pkg"),
        "macro.gone.x": MacroSource("x", "gone", "macros/x.sql", tmp_path / "missing.sql", "{{ helpr() }}"),
    }


def test_names_closest_names_and_the_macros_a_query_calls(tmp_path: Path) -> None:
    known = macros(tmp_path)
    assert macro_names(known, "p") == ["concat", "dbt_utils.star", "duckdb__concat", "gone.x", "helper", "inner",
                                       "outer", "pkg.cents"]
    assert closest("helpr", macro_names(known, "p"))[0] == "helper"
    assert closest("pkg.cent", macro_names(known, "p"))[0] == "pkg.cents"
    assert closest("zzzz", macro_names(known, "p")) == []
    assert [m.name for m in called_macros("select {{ outer(1) }}, {{ pkg.cents(2) }}", known, "p")] == \
        ["outer", "cents", "inner"]


def test_where_a_render_failed_is_the_line_of_the_macro_that_holds_what_dbt_quotes(tmp_path: Path) -> None:
    known = macros(tmp_path)
    raised = "Compilation Error in inline query\n  inner: x is 0"
    assert where_it_failed("{{ outer(0) }}", raised, known, "p") == "in macro p.inner (macros/m.sql:8)"
    undefined = "Compilation Error in inline query\n  'helpr' is undefined"
    assert where_it_failed("{{ outer(1) }}", undefined, known, "p") == "in macro p.inner (macros/m.sql:10)"
    # the query itself, a macro whose file is gone, or nothing quoted: no place to name
    assert where_it_failed("{{ helpr(1) }}", undefined, known, "p") is None
    assert where_it_failed("{{ gone.x() }}", undefined, known, "p") is None
    assert where_it_failed("{{ outer(1) }}", "Compilation Error", known, "p") is None


def test_explain_adds_the_place_and_the_closest_macros(tmp_path: Path) -> None:
    known = macros(tmp_path)
    inside = explain(DbtCompilationError("Compilation Error in inline query\n  'helpr' is undefined"),
                     "{{ outer(1) }}", lambda: known, "p")
    assert inside.fix == ("fix the Jinja in macro p.inner (macros/m.sql:10); "
                          "no macro named 'helpr'; the closest: helper")
    in_query = explain(DbtCompilationError("Runtime Error\n  Compilation Error\n  'has no attribute 'cent'"),
                       "{{ pkg.cent(1) }}", lambda: known, "p")
    assert "inline SQL: {{ pkg.cent(1) }}" in in_query.dbt_message
    assert in_query.fix.startswith("no macro named 'pkg.cent'; the closest: pkg.cents")
    syntax = explain(DbtCompilationError("Compilation Error in inline query\n  unexpected '}'"), "{{ x( }}",
                     lambda: {}, "p")
    assert syntax.fix.startswith("fix the Jinja of the SQL given to render()/query()")
    nothing_near = explain(DbtCompilationError("Compilation Error\n  dbt could not find a macro with the name 'qq'"),
                           None, lambda: {}, "p")
    assert nothing_near.fix.startswith("no macro named 'qq': check its name and package")
    database = DbtExecutionError("Database Error\n  Binder Error")
    assert explain(database, "select 1", lambda: known, "p") is database
