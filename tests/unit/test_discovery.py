"""discovery.py on hand-made project trees (no dbt): the project above the paths, what path
arguments select, the line that says what to type, the vars example."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_planalign_dbt import discovery


def _project(root: Path, config: str = "name: shop\n", files: tuple[str, ...] = ()) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text(config)
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("select 1")
    return root


def test_the_project_above_a_path(tmp_path: Path) -> None:
    project = _project(tmp_path / "shop", files=("models/staging/stg_a.sql",))
    assert discovery.project_above([project / "models" / "staging" / "stg_a.sql"]) == project.resolve()
    assert discovery.project_above([tmp_path]) is None


def test_path_selection_takes_node_folders_only(tmp_path: Path) -> None:
    project = _project(tmp_path / "shop", "name: shop\nmodel-paths: [transform]\nseed-paths: '{{ var(\"x\") }}'\n",
                       ("transform/a/m.sql", "transform/a/schema.yml", "tests/test_py.py", "tests/t.sql",
                        "python_tests/test_x.py", "macros/m.sql"))
    paths = [project / "transform" / "a", project / "transform" / "a" / "schema.yml", project / "tests" / "test_py.py",
             project / "tests", project / "python_tests", project / "macros", project / "transform" / "a"]
    assert discovery.path_selection(project, paths) == ("path:transform/a", "path:transform/a/schema.yml",
                                                        "path:tests")


def test_the_line_names_this_projects_folder_and_prefix(tmp_path: Path) -> None:
    project = _project(tmp_path / "shop", files=("models/staging/stg_a.sql", "models/marts/fct_x.sql",
                                                 "models/marts/fct_y.sql", "models/marts/dim_z.sql"))
    line = discovery.nothing_selected_line(project, tmp_path)
    assert "pytest --dbt-select 'fct_*'" in line and "dbt_select = fct_*" in line and "pytest shop/models/marts" in line
    flat = _project(tmp_path / "flat", "name: flat\n", ("models/orders.sql",))
    assert discovery.nothing_selected_line(flat, flat).endswith("pytest --dbt-select 'orders' "
                                                                "(or 'dbt_select = orders' in your pytest ini file)")
    empty = _project(tmp_path / "empty", "name: empty\n")
    assert "--dbt-select '*'" in discovery.nothing_selected_line(empty, empty)
    lone = _project(tmp_path / "lone", "name: lone\n", ("models/x/one_model.sql",))
    assert "--dbt-select 'one_model'" in discovery.nothing_selected_line(lone, lone)


def test_the_vars_example_is_one_of_the_projects_own(tmp_path: Path) -> None:
    assert json.loads(discovery.vars_example(None)) == {"my_var": "value"}
    project = _project(tmp_path / "a", "name: a\nvars:\n  pkg: {x: 1}\n  start: 2024-01-01\n")
    assert json.loads(discovery.vars_example(project)) == {"start": "2024-01-01"}  # a date, as text
    assert json.loads(discovery.vars_example(_project(tmp_path / "b", "name: b\nvars:\n  rate: 0.5\n"))) == {"rate": 0.5}
