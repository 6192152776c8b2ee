"""Which files a derived parse parses again so that disabled tests end where a full parse puts them."""

from __future__ import annotations

from types import SimpleNamespace

from pytest_planalign_dbt.runner.parse.disabled_tests import files_to_parse_again


def node(uid: str, file_id: str, enabled: bool = True, attached: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(unique_id=uid, file_id=file_id, attached_node=attached,
                           config=SimpleNamespace(enabled=enabled))


def manifest(nodes: list[SimpleNamespace], disabled: list[SimpleNamespace]) -> SimpleNamespace:
    grouped: dict[str, list[SimpleNamespace]] = {}
    for n in disabled:
        grouped.setdefault(n.unique_id, []).append(n)
    return SimpleNamespace(nodes={n.unique_id: n for n in nodes}, disabled=grouped)


def test_a_disabled_test_of_a_disabled_model_is_parsed_again_through_the_models_file() -> None:
    retired = node("model.p.retired", "p://models/retired.sql", enabled=False)
    kept = node("test.p.not_null_retired_id", "p://models/schema.yml", enabled=False, attached=retired.unique_id)
    live = node("model.p.live", "p://models/live.sql")
    assert files_to_parse_again(manifest([kept, live], [retired])) == {"p://models/retired.sql"}


def test_a_disabled_test_without_an_attached_model_is_parsed_again_through_its_own_file() -> None:
    singular = node("test.p.refs_retired", "p://tests/refs_retired.sql", enabled=False)
    assert files_to_parse_again(manifest([singular], [])) == {"p://tests/refs_retired.sql"}


def test_a_disabled_test_of_an_enabled_model_goes_through_that_models_file() -> None:
    live = node("model.p.live", "p://models/live.sql")
    to_retired = node("test.p.relationships_live", "p://models/schema.yml", enabled=False, attached=live.unique_id)
    assert files_to_parse_again(manifest([live, to_retired], [])) == {"p://models/live.sql"}


def test_tests_the_cli_already_moved_are_parsed_again_and_enabled_nodes_are_left_alone() -> None:
    retired = node("model.p.retired", "p://models/retired.sql", enabled=False)
    moved = node("test.p.not_null_retired_id", "p://models/schema.yml", enabled=False, attached=retired.unique_id)
    other_disabled = node("model.p.old", "p://models/old.sql", enabled=False)
    live = node("model.p.live", "p://models/live.sql")
    assert files_to_parse_again(manifest([live], [retired, moved, other_disabled])) == {"p://models/retired.sql"}
    assert files_to_parse_again(manifest([live], [other_disabled])) == set()
