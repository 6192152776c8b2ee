"""A parse kept per vars set (runner/parse/cache.py) gives dbt's own manifest for those vars.

For every vars set of a sequence, on projects whose DAG depends on the vars (varsdag: a var
picks a ref and enables a model; rich: a var breaks or mends models, tests and hooks) and on
the example project's simulated years: a fresh runner of a later process, parsing from the
kept files, must not parse the project fully even once, and must get, node by node, the
manifest a full parse gives for the same vars.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_planalign_dbt import DbtRunner
from pytest_planalign_dbt.runner import versions
from pytest_planalign_dbt.runner.parse.cache import (
    STORE_DIR,
    ParseStore,
    base_key,
    option_value,
    parse_key,
    var_digest,
)

from ..conftest import PROJECTS
from ..helpers.manifests import digest
from ..helpers.verdicts import copy_project as copy_with_packages
from ..helpers.verdicts import dbt_build

pytestmark = [pytest.mark.integration, pytest.mark.dbt_matrix]

SEQUENCES = {
    "varsdag": [{"source": "a"}, {"source": "b"}, {"source": "a"}],
    "example_project": [{"simulation_year": y} for y in (2025, 2026, 2027)],
    # The second set differs in a var no file reads: derived from the first, on the richest project.
    "rich": [{"red": True}, {"red": True, "stage": "events"}, {"red": False}],
    # PlanAlign's shape: `year` in SQL and in a test's arguments, `start_year` only in a test's
    # arguments (dbt renders those when the test compiles: the parse in memory serves), then a
    # test's `where` config and dbt_project.yml's `+enabled` (rendered at parse time: full),
    # except when given the default its reads share (`floor_year` 2000: the parse in memory).
    "yamlvars": [{"year": 2025, "start_year": 2025}, {"year": 2026, "start_year": 2025},
                 {"year": 2026, "start_year": 2026}, {"year": 2026, "start_year": 2026, "floor_year": 2000},
                 {"year": 2026, "start_year": 2026, "floor_year": 2020},
                 {"year": 2026, "start_year": 2026, "floor_year": 2020, "with_extra": False},
                 {"year": 2026, "start_year": 2026, "floor_year": 2020, "with_extra": False, "scope": "one"}],
}


def parsed(runner: DbtRunner, dbt_vars: dict[str, Any]) -> dict[str, Any]:
    assert runner.execute_command(["ls"], dbt_vars=dbt_vars, stream_output=False).success
    return digest(runner.executor.manifest())


# Full parses a first runner makes over each sequence: one for the first vars set; after it, a
# parse of other vars with only the files that read a changed var parsed again, except where a
# changed var is named outside SQL (rich's `red` is read in YAML and dbt_project.yml).
FIRST_RUN_FULL_PARSES = {"varsdag": 1, "example_project": 1, "rich": 2, "yamlvars": 3}
if not versions.at_least(1, 11):
    # dbt-core 1.10's partial parser fails on a changed model that a singular test refs
    # ("'SingularTestNode' object has no attribute 'attached_node'": the CLI's own partial
    # parse fails the same way) and parses fully: each of the example's years costs one.
    FIRST_RUN_FULL_PARSES["example_project"] = 3
# Vars sets whose parse is one in memory: no file reads the vars that changed (rich's `stage`),
# or reads them only where no value shapes a parse: where dbt renders them when a test compiles
# (yamlvars' `start_year`), or as a bare output of SQL (its `year`: runner/parse/sql_vars.py),
# or given the default all its YAML reads share (its `floor_year` 2000).
SAME_PARSE_IN_MEMORY = {"varsdag": 0, "example_project": 0, "rich": 1, "yamlvars": 3}


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_kept_and_derived_parses_equal_full_parses_for_every_vars_set(name: str, copy_project,
                                                                      tmp_path: Path) -> None:
    project = copy_project(name)
    sequence = SEQUENCES[name]
    first = DbtRunner(project, threads=1)
    derived = [parsed(first, dbt_vars) for dbt_vars in sequence]
    assert first.executor.full_parses == FIRST_RUN_FULL_PARSES[name]
    distinct = len({str(v) for v in sequence})
    assert first.executor.parses == distinct - SAME_PARSE_IN_MEMORY[name]
    kept = sorted((project / "target" / STORE_DIR).glob("*.msgpack"))
    assert len(kept) == distinct - SAME_PARSE_IN_MEMORY[name]

    later = DbtRunner(project, threads=1)  # another process, as far as the parse is concerned
    from_kept = [parsed(later, dbt_vars) for dbt_vars in sequence]
    assert later.executor.full_parses == 0
    if name != "example_project":  # the vars shape these DAGs: the comparison below can tell
        assert len({repr(d) for d in from_kept}) > 1
    # Each vars set first in a process of its own: a kept parse, or one derived on disk from
    # a parse of other vars (rich's second set), never a full parse.
    alone = []
    for dbt_vars in sequence:
        own = DbtRunner(project, threads=1)
        alone.append(parsed(own, dbt_vars))
        assert own.executor.full_parses == 0

    full = DbtRunner(project, threads=1, keep_parses=False)
    for dbt_vars, *digests in zip(sequence, from_kept, derived, alone):
        (project / "target" / "partial_parse.msgpack").unlink(missing_ok=True)
        reference = parsed(full, dbt_vars)
        full.invalidate_manifest()
        for digest_ in digests:
            differing = sorted(k for k in reference.keys() | digest_.keys() if reference.get(k) != digest_.get(k))
            assert differing == [], (dbt_vars, differing[:5])
    assert full.executor.full_parses == len(sequence)


def test_an_edited_model_is_parsed_again_from_a_kept_parse(copy_project) -> None:
    project = copy_project("varsdag")
    runner = DbtRunner(project)
    parsed(runner, {"source": "a"})
    parsed(runner, {"source": "b"})
    (project / "models" / "a.sql").write_text("select 'A' as picked\n")
    later = DbtRunner(project)
    assert later.execute_command(["run", "--select", "a"], dbt_vars={"source": "a"}, stream_output=False).success
    assert later.executor.full_parses == 0  # a partial parse from the kept file of source=a
    assert later.rows("a", dbt_vars={"source": "a"}) == [{"picked": "A"}]


def test_the_store_keys_ignore_paths_and_keeps_the_newest(tmp_path: Path) -> None:
    one = parse_key(["parse", "--project-dir", "/a", "--profiles-dir", "/tmp/x1", "--vars", "{y: 1}"])
    assert one == parse_key(["parse", "--project-dir", "/b", "--profiles-dir", "/tmp/x2", "--vars", "{y: 1}"])
    assert one != parse_key(["parse", "--project-dir", "/a", "--vars", "{y: 2}"])
    assert one != parse_key(["parse", "--project-dir", "/a", "--vars", "{y: 1}", "--target", "ci"])
    store = ParseStore(tmp_path, keep=2)
    assert store.args_for("k0") == [] and not store.written_since(0)
    store.save("k0")  # dbt wrote nothing (a failed parse): nothing kept, nothing left behind
    assert not store.dir.exists() or list(store.dir.iterdir()) == []
    for i in range(3):
        (tmp_path / "partial_parse.msgpack").write_bytes(b"parse %d" % i)
        store.save(f"k{i}")
    assert sorted(p.name for p in store.dir.iterdir()) == ["k1.msgpack", "k2.msgpack"]
    assert store.args_for("k2") == ["--partial-parse-file-path", str(store.dir / "k2.msgpack")]
    assert store.path("k2").read_bytes() == b"parse 2" and store.written_since(0)
    with pytest.raises(ValueError, match="keep must be >= 1"):
        ParseStore(tmp_path, keep=0)


def test_the_store_finds_a_parse_of_other_vars_for_the_same_target(tmp_path: Path) -> None:
    argv = ["parse", "--project-dir", "/a", "--target", "dev", "--vars", "{y: 1}"]
    assert option_value(argv, "--target") == "dev" and option_value(argv, "--select") is None
    assert base_key(argv) == base_key([*argv[:-1], "{y: 2}"]) != base_key(argv[:3] + argv[5:])
    store = ParseStore(tmp_path)
    assert store.bases_for(base_key(argv)) == []  # nothing kept yet
    (tmp_path / "partial_parse.msgpack").write_bytes(b"a parse")
    store.save("k1", base_key(argv), {"y": 1})
    store.save("k2")  # kept without its vars (as before this feature): never a base
    store.path("k3").write_bytes(b"x")
    store.path("k3").with_suffix(".json").write_text("{not json")
    assert store.bases_for(base_key(argv)) == [(store.path("k1"), {"y": var_digest("1")})]  # no value kept
    assert store.bases_for("another target") == []


def test_a_corrupted_kept_parse_costs_a_full_parse_and_is_replaced(copy_project) -> None:
    project = copy_project("minimal")
    assert DbtRunner(project).execute_command(["run"], stream_output=False).success
    (kept,) = (project / "target" / STORE_DIR).glob("*.msgpack")
    kept.write_bytes(b"\x00garbage, not msgpack\xff")
    (project / "models" / "base_numbers.sql").write_text("select 7 as n")
    later = DbtRunner(project)
    assert later.execute_command(["run"], stream_output=False).success
    assert later.executor.full_parses == 1
    assert later.rows("scaled") == [{"n": 7}]
    assert kept.read_bytes() == (project / "target" / "partial_parse.msgpack").read_bytes()


def test_a_parse_of_other_vars_that_cannot_be_read_costs_a_full_parse(copy_project) -> None:
    project = copy_project("varsdag")
    parsed(DbtRunner(project), {"source": "a"})
    (kept,) = (project / "target" / STORE_DIR).glob("*.msgpack")
    kept.write_bytes(b"\x00garbage, not msgpack\xff")
    runner = DbtRunner(project)
    assert runner.execute_command(["run"], dbt_vars={"source": "b"}, stream_output=False).success
    assert runner.executor.full_parses == 1
    assert runner.rows("via_macro", dbt_vars={"source": "b"}) == [{"picked": "b"}]
    switched_off = DbtRunner(project, reparse_unseen_vars=False)
    parsed(switched_off, {"source": "a", "unused": 1})  # vars not seen: dbt parses it all
    assert switched_off.executor.full_parses == 1


def test_the_cli_partial_parse_file_keeps_a_parse_the_cli_can_use(tmp_path: Path) -> None:
    store = ParseStore(tmp_path)
    cli = tmp_path / "partial_parse.msgpack"

    def parse_with(usable: bool, writes: bool) -> Path | None:
        with store.cli_file_aside(usable) as aside:
            assert not cli.exists()  # out of the parse's way
            if writes:
                cli.write_bytes(b"ours")
        return aside

    cli.write_bytes(b"the CLI's")
    assert parse_with(usable=False, writes=True) == store.dir / "cli-partial-parse.aside"
    assert cli.read_bytes() == b"the CLI's"  # ours had vars: the CLI's goes back
    assert parse_with(usable=True, writes=False) is not None and cli.read_bytes() == b"the CLI's"
    parse_with(usable=True, writes=True)
    assert cli.read_bytes() == b"ours" and not (store.dir / "cli-partial-parse.aside").exists()
    cli.unlink()
    assert parse_with(usable=False, writes=True) is None and not cli.exists()  # none is left
    parse_with(usable=True, writes=True)
    assert cli.read_bytes() == b"ours"


def test_a_listing_and_a_build_share_one_parse_and_the_build_writes_the_manifest(copy_project) -> None:
    import json

    project = copy_project("minimal")
    runner = DbtRunner(project)
    assert [n["name"] for n in runner.list_nodes(["scaled"])] == ["scaled"]
    # ls --no-write-json: its parse writes no manifest.json either.
    assert not (project / "target" / "manifest.json").exists()
    assert runner.execute_command(["build"], stream_output=False).success
    assert runner.rows("scaled") == [{"n": 1}, {"n": 2}, {"n": 3}]  # show: a parse that would write
    assert runner.executor.parses == 1  # the listing's parse, whatever each one writes
    manifest = json.loads((project / "target" / "manifest.json").read_text())  # written as the build ends
    assert "model.minimal.scaled" in manifest["nodes"]


def test_a_var_read_only_in_test_arguments_reaches_the_tests_sql(copy_project, tmp_path: Path) -> None:
    """The parse in memory serves a vars set whose only change is in a test's arguments, and
    the test compiles with the new value: dbt's own verdict, node by node."""
    project = copy_project("yamlvars")
    runner = DbtRunner(project, threads=1)
    assert runner.execute_command(["build"], dbt_vars={"year": 2026, "start_year": 2025}, stream_output=False).success
    moved = {"year": 2026, "start_year": 2027}
    result = runner.execute_command(["build"], dbt_vars=moved, stream_output=False, retry=False)
    assert runner.executor.parses == 1  # no parse for the second vars set
    ours = {n.unique_id: n.status for n in result.nodes}
    assert sorted(s for u, s in ours.items() if u.startswith("test.")) == ["fail", "pass", "pass"]
    code, theirs = dbt_build(copy_with_packages(PROJECTS / "yamlvars", tmp_path / "cli"), "--vars", json.dumps(moved))
    assert code == 1 and theirs == ours


def test_kept_parses_hold_no_secret_and_a_masked_one_reads_as_changed(copy_project, monkeypatch) -> None:
    """dbt records the values of env vars its files read; a kept parse masks the secret ones
    (and keeps vars as digests): handed back, dbt parses again the file that reads it."""
    token = "tok-0a1b2c3d4e5f"
    monkeypatch.setenv("MY_API_TOKEN", token)
    project = copy_project("minimal")
    (project / "models" / "with_token.sql").write_text("select '{{ env_var('MY_API_TOKEN') }}' as tok")
    runner = DbtRunner(project, threads=1)
    for multiplier in (1, 2, 1):  # the third call starts from the first call's kept parse
        assert runner.execute_command(["run", "--select", "with_token"], stream_output=False,
                                      dbt_vars={"multiplier": multiplier}).success
    compiled = project / "target" / "compiled" / "minimal" / "models" / "with_token.sql"
    assert token in compiled.read_text()  # dbt rendered the real value, not the mask
    kept = list((project / "target" / "planalign_parse").iterdir())
    assert kept and not [p.name for p in kept if token.encode() in p.read_bytes()]
    recorded = [json.loads(p.read_text())["vars"] for p in kept if p.suffix == ".json"]
    assert recorded and all(v.startswith("sha256:") for r in recorded for v in r.values())  # never values


def test_a_new_database_file_starts_from_a_parse_kept_for_another_and_a_field_a_parse_reads_does_not(
        copy_project, monkeypatch, tmp_path: Path) -> None:
    """PlanAlign writes a new DuckDB file per simulation (the profile reads its path from an env
    var): dbt throws its saved parse away ("profile has changed"). A kept parse serves a profile
    that differs only where no parse reads (the path, same file name); not one that differs in
    a field a parse reads (another file name is another database, which every node carries;
    a model's config reading ``target.path``)."""
    project = copy_project("minimal")

    def parsed_at(path: Path, **kwargs: Any) -> tuple[DbtRunner, dict[str, Any]]:
        path.parent.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv("MINIMAL_DUCKDB_PATH", str(path))
        runner = DbtRunner(project, threads=1, **kwargs)
        return runner, parsed(runner, {})

    def full_parse_at(path: Path) -> dict[str, Any]:
        (project / "target" / "partial_parse.msgpack").unlink(missing_ok=True)
        runner, digest_ = parsed_at(path, keep_parses=False)
        assert runner.executor.full_parses == 1
        return digest_

    first, _ = parsed_at(tmp_path / "a" / "minimal.duckdb")
    assert first.executor.full_parses == 1
    other_file, kept = parsed_at(tmp_path / "b" / "minimal.duckdb")
    assert other_file.executor.full_parses == 0  # a partial parse from a's
    assert kept == full_parse_at(tmp_path / "b" / "minimal.duckdb")
    renamed, digest_ = parsed_at(tmp_path / "c" / "renamed.duckdb")
    assert renamed.executor.full_parses == 1  # database 'renamed': not a's parse
    assert {n.database for n in renamed.executor.manifest().nodes.values()} == {"renamed"}
    assert digest_ == full_parse_at(tmp_path / "c" / "renamed.duckdb")

    (project / "models" / "reads_path.sql").write_text(
        "{{ config(meta={'file': target.path}) }}\nselect 1 as one\n")
    parsed_at(tmp_path / "d" / "minimal.duckdb")
    reader, digest_ = parsed_at(tmp_path / "e" / "minimal.duckdb")
    meta = reader.executor.manifest().nodes["model.minimal.reads_path"].config.meta
    assert meta == {"file": str(tmp_path / "e" / "minimal.duckdb")}  # never d's
    assert digest_ == full_parse_at(tmp_path / "e" / "minimal.duckdb")


def test_a_reused_parse_compiles_afresh_on_every_call(copy_project) -> None:
    """dbt compiles on the manifest's own nodes: run again on the same parse, a model found its
    ephemeral CTE already "injected" and ran without it, and an ephemeral model kept the SQL the
    first call rendered. Every call on a kept parse compiles as a new parse would."""
    project = copy_project("minimal")
    (project / "models" / "eph_call.sql").write_text(
        "{{ config(materialized='ephemeral') }}\nselect '{{ invocation_id }}' as call_id, {{ var('multiplier') }} as m\n")
    (project / "models" / "uses_eph.sql").write_text("select * from {{ ref('eph_call') }}\n")
    runner = DbtRunner(project, threads=1, reuse_manifest_across_vars=True)
    seen = []
    for multiplier in (1, 1, 3):
        result = runner.execute_command(["run", "--select", "uses_eph"], dbt_vars={"multiplier": multiplier},
                                        stream_output=False, retry=False)
        assert result.success, result.stderr
        assert runner.executor.parses == 1  # one parse serves all three calls
        row = runner.rows("uses_eph", dbt_vars={"multiplier": multiplier})[0]
        seen.append((row["call_id"] == result.invocation_id, row["m"]))
    assert seen == [(True, 1), (True, 1), (True, 3)]
