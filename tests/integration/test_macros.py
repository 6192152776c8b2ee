"""Macros and Jinja SQL from Python on the rich project: a macro of the project, one of its local
package and dbt's own, rendered and queried through dbt, and each kind of failure."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_planalign_dbt import DbtCommandError, DbtCompilationError, DbtExecutionError, DbtRunner, Jinja
from tests.helpers.rich import RICH, seeded_rich

# One module-scoped runner feeds every test here: under xdist, one worker runs them all.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("rich_macros")]
RAISE_LINE = next(i for i, line in enumerate((RICH / "macros" / "safe_ratio.sql").read_text().splitlines(), 1)
                  if "raise_compiler_error" in line)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> DbtRunner:
    return seeded_rich(tmp_path_factory.mktemp("rich"))


def test_a_macro_of_the_project_renders_and_its_sql_runs(runner: DbtRunner) -> None:
    assert runner.macro("safe_ratio", "amount", 4) == "(amount) / nullif(4, 0)"
    assert runner.query("select {{ safe_ratio(10, 4) }} as r") == [{"r": 2.5}]


@pytest.mark.parametrize("amount, cents", [(1.234, 123), (0.005, 1), (-2.5, -250), (0, 0)])
def test_a_macro_of_a_package_by_its_qualified_name(runner: DbtRunner, amount: float, cents: int) -> None:
    assert runner.macro("rich_pkg.cents", "price") == "cast(round(price * 100) as bigint)"
    assert runner.query(f"select {{{{ rich_pkg.cents({amount}) }}}} as v") == [{"v": cents}]


def test_dbt_s_own_macros_render_for_the_adapter_and_their_values_keep_their_types(runner: DbtRunner) -> None:
    assert runner.macro("dbt.current_timestamp") == "now()"  # DuckDB's
    row = runner.query("select {{ dbt.current_timestamp() }} as now, {{ dbt.cast('1', api.Column.translate_type('integer')) }} as one")[0]
    assert isinstance(row["now"], dt.datetime) and row["one"] == 1


def test_jinja_arguments_refs_vars_and_the_target_are_dbt_s_own(runner: DbtRunner) -> None:
    sql = "select * from {{ ref('raw_orders') }} where {{ var('red', 'no') }} = {{ target.name }}"
    rendered = runner.render(sql, dbt_vars={"red": "x"})
    assert rendered.startswith("select * from ") and "raw_orders" in rendered and rendered.endswith("where x = dev")
    with pytest.warns(DeprecationWarning, match=r"render\(vars=...\) is deprecated: pass dbt_vars=") as warned:
        assert runner.render(sql, vars={"red": "x"}) == rendered  # the old name, for one release
    assert warned[0].filename == __file__  # the caller's line
    with pytest.raises(DbtCommandError, match="give dbt_vars= only"):
        runner.query(sql, dbt_vars={"red": "x"}, vars={"red": "y"})
    counted = runner.macro("count_rows", Jinja("ref('raw_orders')"))
    assert counted == str(len(runner.rows("raw_orders")))  # the macro queried the seed
    assert runner.query("select 1 as a union all select 2 order by a", limit=1) == [{"a": 1}]


def test_calls_reuse_the_parse_and_a_failed_one_leaves_the_runner_working(runner: DbtRunner) -> None:
    runner.query("select 1 as warm")
    parses = runner.executor.parses
    with pytest.raises(DbtCompilationError):
        runner.query("select {{ safe_ratio(1, 0) }} as r")
    with pytest.raises(DbtCompilationError):
        runner.render("select {{ cents( }}")
    with pytest.raises(DbtCompilationError):  # fails as dbt compiles the query, after parsing it
        runner.query("select {{ no_such_macro(1) }} as v")
    # dbt leaves a failed inline query in the reused manifest; the next one must not see it.
    assert [runner.query("select %d as v" % i) for i in range(3)] == [[{"v": 0}], [{"v": 1}], [{"v": 2}]]
    assert runner.executor.parses == parses


def test_a_jinja_error_names_the_macro_and_the_line(runner: DbtRunner) -> None:
    with pytest.raises(DbtCompilationError) as caught:
        runner.macro("safe_ratio", "amount", 0)
    where = f"in macro rich.safe_ratio (macros/safe_ratio.sql:{RAISE_LINE})"
    assert "safe_ratio: the denominator is 0" in str(caught.value) and where in str(caught.value)
    assert caught.value.fix == f"fix the Jinja {where}"
    with pytest.raises(DbtCompilationError) as syntax:
        runner.render("select {{ safe_ratio(1, }}")
    assert "line 1" in str(syntax.value) and "inline SQL: select {{ safe_ratio(1, }}" in str(syntax.value)


def test_a_missing_macro_names_the_closest_ones(runner: DbtRunner) -> None:
    with pytest.raises(DbtCompilationError) as caught:
        runner.macro("safe_ratoi", 1, 2)
    assert caught.value.fix.startswith("no macro named 'safe_ratoi'; the closest: safe_ratio")
    with pytest.raises(DbtCompilationError) as in_package:
        runner.query("select {{ rich_pkg.cent(1) }} as v")
    assert "no macro named 'rich_pkg.cent'; the closest: rich_pkg.cents" in in_package.value.fix
    with pytest.raises(DbtCompilationError) as operation:
        runner.run_operation("log_ratoi", {"numerator": 1, "denominator": 2})
    assert "the closest: log_ratio" in operation.value.fix


def test_a_database_error_carries_its_message_and_the_rendered_sql(runner: DbtRunner) -> None:
    with pytest.raises(DbtExecutionError) as caught:
        runner.query("select no_such_column from (select {{ rich_pkg.cents(1) }} as v) t")
    message = caught.value.dbt_message
    assert "no_such_column" in message and "Binder Error" in message
    assert message.endswith("rendered SQL:\nselect no_such_column from (select cast(round(1 * 100) as bigint) as v) t")
    assert "rendered SQL:" in str(caught.value) and caught.value.fix.startswith("fix the SQL above")


def test_an_operation_runs_with_its_arguments_and_what_it_logs(runner: DbtRunner) -> None:
    result = runner.run_operation("log_ratio", {"numerator": 5, "denominator": 2})
    assert result.success and "ratio: 2.5" in result.stdout


def test_bad_input_is_refused_before_dbt_runs(runner: DbtRunner) -> None:
    calls = runner.executor.parses
    for bad in (lambda: runner.macro("no such macro"), lambda: runner.macro("safe_ratio", object()),
                lambda: runner.query("select 1", limit=-3), lambda: runner.render("  "),
                lambda: runner.run_operation("log_ratio", ["not", "a", "mapping"])):  # type: ignore[arg-type]
        with pytest.raises(DbtCommandError):
            bad()
    assert runner.executor.parses == calls


def test_the_subprocess_executor_gives_the_same_answers(runner: DbtRunner) -> None:
    other = DbtRunner(runner.project_dir, threads=1, executor="subprocess")
    sql = "select {{ rich_pkg.cents(1.234) }} as v, {{ safe_ratio(10, 4) }} as r"
    assert other.render(sql) == runner.render(sql)
    assert other.query(sql) == runner.query(sql) == [{"v": 123, "r": 2.5}]
    with pytest.raises(DbtCompilationError) as caught:
        other.macro("safe_ratio", "amount", 0)
    assert f"(macros/safe_ratio.sql:{RAISE_LINE})" in str(caught.value)


def test_a_failed_macro_leaves_no_thread_pool_to_fail_at_exit(runner: DbtRunner, tmp_path: Path) -> None:
    # dbt leaves its thread pool running when an inline compile raises out of its queue; at
    # exit Pool.__del__ warned or failed ("Bad file descriptor"). A script as a user writes it,
    # with Python's development mode showing every resource left open.
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(f"""
        from pytest_planalign_dbt import DbtCompilationError, DbtRunner
        runner = DbtRunner({str(runner.project_dir)!r}, threads=2)
        runner.run_operation("log_ratio", {{"numerator": 5, "denominator": 2}})
        print(runner.macro("safe_ratio", "a", 2))
        try:
            runner.macro("no_such_macro")
        except DbtCompilationError:
            print("refused")
    """))
    done = subprocess.run([sys.executable, "-X", "dev", str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "refused"
    assert "multiprocessing pool" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
