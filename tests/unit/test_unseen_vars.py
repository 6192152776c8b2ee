"""Which files a vars change makes dbt parse again, and when only a full parse is safe."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_planalign_dbt.runner.dbt_internals import VarsHashInputs
from pytest_planalign_dbt.runner.parse.unseen_vars import (
    changed_vars,
    defined_vars,
    files_to_reparse,
    project_var_defaults,
)

pytestmark = pytest.mark.dbt_matrix


def test_changed_vars_are_added_removed_and_altered_names() -> None:
    old = {"year": repr(2025), "rate": repr(0.1), "gone": repr("x")}
    assert changed_vars(old, {"year": 2026, "rate": 0.1, "new": True}) == {"year", "gone", "new"}
    assert changed_vars(old, {"year": 2025, "rate": 0.1, "gone": "x"}) == set()


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_only_code_whose_parse_a_changed_var_may_shape_is_parsed_again(tmp_path: Path) -> None:
    project = _project(tmp_path, {
        "models/year.sql": "{# the var below picks the year #}\nselect {{ var('year') }} as y -- a var here is SQL\n",
        "models/rate.sql": "select {{ var(\"rate\") }} as r",
        "macros/m.sql": "{% macro m() %}{{ return(var('year')) }}{% endmacro %}",
        "models/schema.yml": "version: 2\nmodels:\n  - name: rate\n    description: uses var rate\n",
        "target/old.sql": "{{ var(name) }}",  # build output is never scanned
        # A models folder named like an output dir is read; the var picks a ref: it shapes the parse.
        "models/logs/by_year.sql": "{% if var('year') > 2025 %}select * from {{ ref('year') }}{% endif %}",
        "models/in_config.sql": "{{ config(enabled=var('year') > 2025) }}select 1",
        # Bare outputs only, the rest read by dbt's static extractor: no value shapes the parse.
        "models/bare.sql": "{{ config(materialized='table') }}select {{ var('year') }} as y, {{ var('rate', 0.1) }} "
                           "as r from {{ ref('year') }} join {{ source('s', 't') }} using (y)",
    })
    shaped = {(project / "macros/m.sql").resolve(), (project / "models/logs/by_year.sql").resolve(),
              (project / "models/in_config.sql").resolve()}
    assert files_to_reparse(project, {"year"}, {project / "target"}, defined={"year", "rate"}) == shaped
    # A bare read of a var no longer defined raises while dbt parses: parsed again, to say so.
    bare_reads = {(project / "models/year.sql").resolve(), (project / "models/bare.sql").resolve()}
    assert files_to_reparse(project, {"year"}, {project / "target"}, defined=set()) == shaped | bare_reads
    assert files_to_reparse(project, {"rate"}, set(), defined=set()) == {(project / "models/rate.sql").resolve()}
    assert files_to_reparse(project, {"stage"}, set()) == set()


def test_a_var_given_or_left_to_its_project_default_is_the_same_var(tmp_path: Path) -> None:
    project = _project(tmp_path, {"dbt_project.yml": "name: p\nvars:\n  start: 2025\n  templ: \"{{ env_var('X') }}\"\n"
                                                     "  pkg:\n    scoped: 1\n  scoped: 2\n"})
    defaults = project_var_defaults(project)
    assert defaults == {"start": repr(2025)}  # not a Jinja value, not a name a package scope holds
    assert changed_vars({}, {"start": 2025}, defaults) == set()
    assert changed_vars({}, {"start": 2026}, defaults) == {"start"}
    assert changed_vars({"start": repr(2025)}, {}, defaults) == set()
    assert changed_vars({}, {"scoped": 2, "templ": "x"}, defaults) == {"scoped", "templ"}
    assert defined_vars(project, {"given": 1}) == {"given", "start", "templ", "scoped"}


def test_a_var_that_is_not_a_literal_call_or_is_read_in_yaml_needs_a_full_parse(tmp_path: Path) -> None:
    dynamic = _project(tmp_path / "a", {"models/x.sql": "{% set f = var %}select {{ f('year') }}"})
    assert files_to_reparse(dynamic, {"stage"}, set()) is None
    by_name = _project(tmp_path / "b", {"models/x.sql": "{% set r = 'rate' %}{% set r = 'x' ~ r %}select {{ var(r) }}"})
    assert files_to_reparse(by_name, {"stage"}, set()) is None  # `r` set twice: which name is it?
    # A name a variable holds, set once from a literal in the same file; a literal prefix.
    held = _project(tmp_path / "e", {
        "models/x.sql": "{% set merit_var = 'merit_budget' %}select {{ var(merit_var, none) }}",
        "macros/seed.sql": "{% macro seed(s) %}{{ var('random_seed_' ~ s, var('random_seed', 42)) }}{% endmacro %}",
    })
    assert files_to_reparse(held, {"stage"}, set()) == set()
    assert files_to_reparse(held, {"merit_budget"}, set()) == {(held / "models/x.sql").resolve()}
    assert files_to_reparse(held, {"random_seed_hire"}, set()) == {(held / "macros/seed.sql").resolve()}
    # Markdown: dbt renders its docs blocks only; a README's example SQL is never rendered.
    docs = _project(tmp_path / "f", {"models/README.md": "Filter with {{ var('year') }}\n",
                                     "models/docs.md": "{% docs d %}From {{ var('doc_year') }}{% enddocs %}"})
    assert files_to_reparse(docs, {"year"}, set()) == set()
    assert files_to_reparse(docs, {"doc_year"}, set()) is None
    in_yaml = _project(tmp_path / "c", {"models/s.yml": "models:\n  - name: x\n    config:\n      enabled: \"{{ var('on') }}\"\n"})
    assert files_to_reparse(in_yaml, {"on"}, set()) is None
    assert files_to_reparse(in_yaml, {"other"}, set()) == set()
    unreadable = tmp_path / "d"
    (unreadable / "models").mkdir(parents=True)
    (unreadable / "models" / "bin.sql").write_bytes(b"\xff\xfe{{ var('x') }}")
    assert files_to_reparse(unreadable, {"x"}, set()) is None


def test_a_var_given_as_the_default_its_yaml_reads_share_needs_no_full_parse(tmp_path: Path) -> None:
    """PlanAlign's test config ``where: "... {{ var('start_year', 2025) }}"``: a call giving
    start_year 2025 and one leaving it out render that YAML alike; a SQL file reading the name
    with another default (``'NOT_SET'``) is parsed again, as any SQL reader of a changed var."""
    from pytest_planalign_dbt.runner.parse.unseen_vars import VarUse

    project = _project(tmp_path, {
        "models/s.yml": "models:\n  - name: x\n    data_tests:\n      - not_null:\n          config:\n"
                        "            where: \"y = {{ var('start_year', 2025) }}\"\n"
                        "    config:\n      enabled: \"{{ var('flag', true) }}\"\n      tags: [\"{{ var('tag') }}\"]\n",
        "models/docs.md": "{% docs d %}{{ var('start_year', 2025) }} {{ var('mixed', 1) }}{% enddocs %}",
        "models/more.yml": "models:\n  - name: y\n    description: \"{{ var('mixed', 2) }}\"\n",
        "models/x.sql": "{% if var('start_year', 'NOT_SET') == 'NOT_SET' %}select 1{% else %}select 2{% endif %}",
        "dbt_project.yml": "name: p\nvars:\n  pkg:\n    flag: false\n",
    })
    use = VarUse.scan(project, set())
    assert use is not None
    # `flag` is defined in a vars: block (scoped to a package), `mixed` read with two defaults, `tag` with none.
    assert use.parse_time_defaults == {"start_year": repr(2025)}
    sql = {(project / "models/x.sql").resolve()}
    assert use.reparse_for({}, {"start_year": 2025}) == sql
    assert use.reparse_for({"start_year": repr(2025)}, {}) == sql
    assert use.reparse_for({}, {"start_year": 2026}) is None  # the where renders otherwise
    assert use.reparse_for({}, {"start_year": "2025"}) is None  # a string: not sure it renders alike
    assert use.reparse_for({}, {"flag": True}) is None
    assert use.reparse_for({}, {"mixed": 1}) is None


@pytest.mark.parametrize("core", [(1, 10, 23), (1, 11, 16), (1, 12, 0)])
def test_vars_hash_is_dbts_formula_for_each_version(core, monkeypatch) -> None:
    """1.10 and 1.11 hash --profile / --target as given; 1.12 the resolved names and vars.yml's vars."""
    import hashlib
    import pprint

    from pytest_planalign_dbt.runner import dbt_internals, versions

    monkeypatch.setattr(versions, "dbt_core", lambda: core)
    monkeypatch.setattr(dbt_internals, "version", lambda: "1.x")
    inputs = VarsHashInputs(profile_arg=None, target_arg="ci", profile_name="shop", target_name="ci",
                            default_target="dev", file_vars={"rate": 0.1})

    def sha(*parts: str) -> str:
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()

    cli = pprint.pformat({"a": 1})
    if core < (1, 12):
        assert inputs.of({"a": 1}) == sha(cli, "", "ci", "1.x")
        assert inputs.without_target_arg().of({"a": 1}) == sha(cli, "", "", "1.x")
    else:
        assert inputs.of({"a": 1}) == sha(cli, "shop", "ci", "1.x", pprint.pformat({"rate": 0.1}))
        assert inputs.without_target_arg().of({"a": 1}) == sha(cli, "shop", "dev", "1.x", pprint.pformat({"rate": 0.1}))


def test_the_kept_parse_leaving_the_fewest_files_to_parse_again_is_the_base(tmp_path: Path, monkeypatch) -> None:
    from pytest_planalign_dbt.runner.parse import unseen_vars
    from pytest_planalign_dbt.runner.parse.cache import ParseStore, base_key

    project = _project(tmp_path / "p", {
        # Each var shapes its file's parse (a branch, a config); d.sql reads none.
        "models/a.sql": "{% if var('year') > 1 %}select 2{% endif %}", "models/b.sql": "{{ config(tags=[var('stage')]) }}",
        "models/c.sql": "{% if var('rate') %}select 1{% endif %}", "models/d.sql": "select 1", "dbt_project.yml": "name: p\n",
    })
    store = ParseStore(project / "target")
    argv = ["parse", "--vars", "{}"]
    (project / "target").mkdir()
    (project / "target" / "partial_parse.msgpack").write_bytes(b"parse")
    year_one = {"year": 1, "stage": "init", "rate": 0.5}
    store.save("init-1", base_key(argv), year_one)  # older, one var away
    store.save("hazard", base_key(argv), {"hazard": 1, "stage": "hazard"})  # newest, all vars away
    chosen: list[tuple[Path, set[Path]]] = []

    def doctor(base: Path, dest: Path, cli_vars: dict, inputs: object, reparse: set[Path],
               profile_hash: str | None = None) -> int:
        chosen.append((base, reparse))
        return len(reparse)

    monkeypatch.setattr(unseen_vars, "doctor", doctor)
    dest = unseen_vars.parse_from_other_vars(store, "init-2", project, project / "target", argv,
                                             {**year_one, "year": 2})
    assert dest == store.dir / "init-2.from-other-vars"
    assert chosen == [(store.path("init-1"), {(project / "models/a.sql").resolve()})]
    # With a var named in YAML among the changes, no base will do: dbt parses it all.
    (project / "models" / "s.yml").write_text("models:\n  - name: a\n    description: \"{{ var('year') }}\"\n")
    assert unseen_vars.parse_from_other_vars(store, "init-3", project, project / "target", argv,
                                             {**year_one, "year": 3}) is None
    assert len(chosen) == 1


def test_a_schema_file_reads_vars_at_parse_time_except_in_generic_tests_arguments() -> None:
    from pytest_planalign_dbt.runner.parse.yaml_vars import UnseenName, YamlVarUse

    use = YamlVarUse.of("""
version: 2
sources:
  - name: raw
    schema: "{{ var('raw_schema') }}"
    tables: [{name: t, data_tests: [{unique: {arguments: {column_name: "{{ var('src_arg') }}"}}}]}]
models:
  - name: m
    description: "{{ var('described') }}"  # {{ var('in_a_yaml_comment') }}
    config: {tags: ["{{ var('tag') }}"]}
    data_tests:
      - dbt_utils.expression_is_true:
          arguments: {expression: "y = {{ var('simulation_year', 2025) }}"}
          config: {where: "y > {{ var('floor') }}", severity: "{{ var('sev') }}"}
      - relationships:
          arguments: {to: "ref('{{ var('picked') }}')", field: id}
    columns:
      - name: y
        data_tests:
          - not_null
          - accepted_range:
              min_value: "{{ var('simulation_start_year') }}"
              max_value: "{{ var('simulation_end_year') }} {# {{ var('commented') }} #}"
              error_if: "> {{ var('threshold') }}"
          - test_name: unique
            name: "{{ var('custom_name') }}"
unit_tests:
  - name: u
    model: m
    given: [{input: ref('x'), rows: [{y: "{{ var('given') }}"}]}]
""")
    assert use.at_compile == {"src_arg", "simulation_year", "simulation_start_year", "simulation_end_year"}
    assert use.at_parse == {"raw_schema", "described", "tag", "floor", "sev", "picked", "threshold",
                            "custom_name", "given"}
    assert YamlVarUse.of("models: [unclosed {{ var('y') }}").at_parse == {"y"}  # not YAML: all at parse
    with pytest.raises(UnseenName):
        YamlVarUse.of("models: [{name: m, description: \"{{ var(name_of_it) }}\"}]")
