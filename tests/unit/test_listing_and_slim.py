"""The kept node listing and Slim CI's reference: pure file logic, no dbt."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_planalign_dbt.session.listing import (
    ListingCache,
    env_var_names,
    listing_key,
    specs_from_json,
    specs_to_json,
)
from pytest_planalign_dbt.session.nodes import NodeSpec
from pytest_planalign_dbt.session.slim import ReferenceStore, SlimNote, profile_digest

SPECS = [NodeSpec("model.p.a", "a", "model", "models/a.sql", "p", tags=("x",), fqn=("p", "a"),
                  parents=("seed.p.s",), materialized="table", root_package="p"),
         NodeSpec("test.p.t", "t", "test", "models/s.yml", "p")]


def test_specs_round_trip_through_json() -> None:
    assert specs_from_json(json.loads(json.dumps(specs_to_json(SPECS)))) == SPECS


def test_the_key_changes_with_every_part_and_the_dbt_environment() -> None:
    base = listing_key("fp", "duckdb", {"select": ["*"]}, environ={})
    assert base == listing_key("fp", "duckdb", {"select": ["*"]}, environ={"HOME": "/x"})
    assert base != listing_key("fp2", "duckdb", {"select": ["*"]}, environ={})
    assert base != listing_key("fp", "duckdb", {"select": ["a"]}, environ={})
    assert base != listing_key("fp", "duckdb", {"select": ["*"]}, environ={"DBT_TARGET_PATH": "t"})


def test_a_kept_listing_is_read_back_only_for_its_key_and_environment(tmp_path: Path) -> None:
    cache = ListingCache(tmp_path / "c", keep=2)
    assert cache.get("k1") is None
    cache.put("k1", SPECS, {"APP_ENV"}, environ={"APP_ENV": "ci"})
    assert cache.get("k1", environ={"APP_ENV": "ci", "OTHER": "1"}) == SPECS
    assert cache.get("k1", environ={"APP_ENV": "prod"}) is None  # a value the project reads changed
    assert cache.get("k1", environ={}) is None
    cache.path("k1").write_text(json.dumps({**json.loads(cache.path("k1").read_text()), "key": "k9"}))
    assert cache.get("k1", environ={"APP_ENV": "ci"}) is None  # kept for another key
    cache.path("k1").write_text("{half")
    assert cache.get("k1") is None
    for key in ("k2", "k3", "k4"):
        cache.put(key, SPECS, set(), environ={})
    assert sorted(p.stem for p in (tmp_path / "c").glob("*.json")) == ["k3", "k4"]  # the newest 2
    assert "ci" not in (tmp_path / "c" / "k4.json").read_text()  # digests, never values


def test_env_vars_read_by_the_project_are_found_unless_computed(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.sql").write_text("select '{{ env_var(\"APP_ENV\", 'dev') }}'")
    profiles = tmp_path / "profiles.yml"
    profiles.write_text("p:\n  outputs:\n    dev:\n      path: \"{{ env_var('DB_PATH') }}\"\n")
    assert env_var_names(tmp_path, [profiles, tmp_path / "missing.yml"], set()) == {"APP_ENV", "DB_PATH"}
    (tmp_path / "models" / "b.sql").write_text("select '{{ env_var('APP_' ~ suffix) }}'")
    why: list[str] = []
    assert env_var_names(tmp_path, [], set(), why) is None
    assert why == [f"{tmp_path / 'models' / 'b.sql'} reads an environment variable by a computed name "
                   "(env_var(...)), so no change of the environment could be seen"]
    (tmp_path / "models" / "b.sql").write_bytes(b"\xff\xfe")
    assert env_var_names(tmp_path, [], set()) is None
    env_var_names(tmp_path, [], set(), why)
    assert why[1].startswith(f"{tmp_path / 'models' / 'b.sql'} could not be read")


def test_the_reference_is_the_last_green_run_for_the_same_vars_and_profile(tmp_path: Path) -> None:
    store = ReferenceStore(tmp_path / "ref")
    assert store.load({"y": 1}, "p") == (None, "no green run of this selection is kept yet")
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"nodes": {"a": 1}, "metadata"')  # cut short: never kept
    assert store.save(manifest, {"y": 1}, "p") is False
    manifest.write_text('{"nodes": {}}')
    assert store.save(manifest, {"y": 1}, "p") is True
    reference, reason = store.load({"y": 1}, "p")
    assert reference is not None and reference.path == tmp_path / "ref" and reason == ""
    assert reference.describe.startswith("the green run of 20")
    none, why = store.load({"y": 2}, "p")
    assert none is None and why.startswith("the vars differ from those of the green run of")
    none, why = store.load({"y": 1}, "q")
    assert none is None and why.startswith("the profile or target differs")


def test_the_profile_digest_follows_the_file_and_the_target(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles.yml"
    profiles.write_text("a: 1\n")
    one = profile_digest(profiles, "dev")
    assert one != profile_digest(profiles, "ci")
    profiles.write_text("a: 2\n")
    assert one != profile_digest(profiles, "dev")
    assert profile_digest(tmp_path / "missing.yml", "dev") == profile_digest(tmp_path / "gone.yml", "dev")


def test_the_slim_note_lists_what_was_left_out_with_verbose() -> None:
    note = SlimNote("dbt: 1 of 3 selected node(s) changed", ["model.p.b", "model.p.c"], False)
    assert note.lines(0) == ["dbt: 1 of 3 selected node(s) changed"]
    assert note.lines(1)[1:] == ["  unchanged: model.p.b", "  unchanged: model.p.c"]
    assert SlimNote.from_json(json.loads(json.dumps(note.to_json()))) == note


def test_a_staged_reference_is_kept_only_when_promoted_and_a_failure_marks_it(tmp_path: Path) -> None:
    from pytest_planalign_dbt.session.slim import ReferenceStore

    manifest = tmp_path / "m.json"
    manifest.write_text('{"nodes": {}}')
    store = ReferenceStore(tmp_path / "store")
    store.mark_failed()  # nothing kept yet: nothing to mark
    assert not (store.dir / "planalign_failed.json").exists()
    assert store.stage(manifest, {"y": 1}, "p")
    assert store.load({"y": 1}, "p")[0] is None  # staged is not kept
    store.discard()
    assert not store.promote()  # nothing staged any more
    assert store.save(manifest, {"y": 1}, "p") and store.load({"y": 1}, "p")[0] is not None
    store.stage(manifest, {"y": 1}, "p")
    store.mark_failed()  # a red session: the staged one dropped, the kept one marked
    reference, why = store.load({"y": 1}, "p")
    assert reference is None and why.startswith("the run of ") and why.endswith("failed after the last green one")
    (store.dir / "planalign_failed.json").write_text("not json")  # a torn marker still counts
    assert store.load({"y": 1}, "p")[0] is None
    assert store.save(manifest, {"y": 1}, "p")  # a green session clears it
    assert store.load({"y": 1}, "p")[0] is not None
