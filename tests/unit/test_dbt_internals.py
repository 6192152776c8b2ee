"""Every dbt internal the runner touches still exists in the installed dbt.

These fail on a dbt upgrade that removes one, before any user run does.
"""

from __future__ import annotations

import inspect

import pytest

from pytest_planalign_dbt.runner import adapters, dbt_artifacts, dbt_internals

pytestmark = pytest.mark.dbt_matrix


def test_public_api_we_build_on() -> None:
    from dbt.cli.main import dbtRunner, dbtRunnerResult

    assert {"manifest", "callbacks"} <= set(inspect.signature(dbtRunner).parameters)
    assert {"success", "exception", "result"} <= set(dbtRunnerResult.__dataclass_fields__)


def test_event_conversion_is_dbts_own() -> None:
    from dbt_common.events.functions import msg_to_dict

    assert callable(msg_to_dict)


def test_adapter_registry_and_reset() -> None:
    from dbt.adapters.factory import FACTORY, reset_adapters

    assert isinstance(FACTORY.adapters, dict) and callable(reset_adapters)
    for adapter in dbt_internals._adapters():  # pragma: no cover - none registered in unit tests
        assert hasattr(adapter, "cancel_open_connections")
    dbt_internals.cancel_open_queries()
    dbt_internals.release_connections()
    adapters.release()


def test_duckdb_connection_manager_keeps_its_handle_where_we_close_it() -> None:
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    assert hasattr(DuckDBConnectionManager, "_LOCK") and hasattr(DuckDBConnectionManager, "_ENV")


def test_event_names_we_read_exist() -> None:
    from dbt.events import types

    from pytest_planalign_dbt.runner import events
    from pytest_planalign_dbt.runner.executors import inprocess as invoke

    names = {"MainEncounteredError", "NoNodesForSelectionCriteria", "PrintEvent", "ShowNode",
             *events.START_EVENTS, *events.FINISH_EVENTS, *invoke.CANCEL_POINTS}
    missing = sorted(n for n in names if not hasattr(types, n) and not _in_common(n))
    assert missing == []


def _in_common(name: str) -> bool:
    from dbt_common.events import types as common

    return hasattr(common, name)


def test_stale_manifest_reads_dbts_wording() -> None:
    class Res:
        exception = None

        class result:  # noqa: N801
            results = [type("R", (), {"message": "dbt was unable to infer all dependencies for x"})()]

    assert dbt_internals.stale_manifest(Res())


def test_the_partial_parse_file_its_flag_and_the_full_parse_event_exist() -> None:
    from dbt.cli.main import cli
    from dbt.constants import PARTIAL_PARSE_FILE_NAME
    from dbt.events import types

    assert PARTIAL_PARSE_FILE_NAME == dbt_internals.PARTIAL_PARSE_FILE
    for command in ("parse", "build", "run", "test", "ls"):
        options = {o for p in cli.commands[command].params for o in p.opts}
        assert dbt_internals.PARTIAL_PARSE_FILE_FLAG in options, command
    assert all(hasattr(types, name) for name in dbt_internals.FULL_PARSE_EVENTS)


def test_no_macro_shipped_with_dbt_or_an_adapter_reads_a_var() -> None:
    """runner/parse/unseen_vars.py scans the project and its packages for var(); dbt's own macros
    (which it does not scan) must read none, or a vars change could miss their users."""
    from pathlib import Path

    import dbt.adapters
    import dbt.include

    roots = [Path(p) for p in dbt.include.__path__] + [Path(p) for p in dbt.adapters.__path__]
    readers = [f for root in roots for f in root.rglob("*.sql") if "var(" in f.read_text(errors="replace")]
    assert readers == []


def test_a_manifest_is_written_as_dbt_writes_manifest_json(tmp_path, monkeypatch) -> None:
    import json
    from argparse import Namespace

    import dbt.flags
    from dbt.contracts.graph.manifest import Manifest

    # A manifest is only ever written after a dbt invocation in this process, which sets dbt's
    # global flags (run alone, this test has none): set them as an invocation does.
    monkeypatch.setattr(dbt.flags, "GLOBAL_FLAGS", dbt.flags.GLOBAL_FLAGS)
    dbt.flags.set_from_args(Namespace(), None)
    dbt_artifacts.write_manifest(Manifest(), tmp_path / "manifest.json")
    data = json.loads((tmp_path / "manifest.json").read_text())
    assert data["metadata"]["dbt_schema_version"].startswith("https://schemas.getdbt.com/dbt/manifest/")
    assert data["nodes"] == {}


def test_the_run_artifacts_are_written_as_a_runnable_task_writes_them(tmp_path, monkeypatch) -> None:
    import json
    from argparse import Namespace

    import dbt.flags
    from dbt.artifacts.schemas.run import RunExecutionResult
    from dbt.contracts.graph.manifest import Manifest

    monkeypatch.setattr(dbt.flags, "GLOBAL_FLAGS", dbt.flags.GLOBAL_FLAGS)
    dbt.flags.set_from_args(Namespace(), None)
    args = {"which": "run", "write_json": False, "vars": {}, "invocation_command": "dbt run --no-write-json -s a"}
    result = RunExecutionResult(results=[], elapsed_time=1.5, args=args)
    dbt_artifacts.write_run_artifacts(result, Manifest(), tmp_path, with_manifest=True)
    assert json.loads((tmp_path / "manifest.json").read_text())["nodes"] == {}
    assert (tmp_path / "semantic_manifest.json").is_file()
    run_results = json.loads((tmp_path / "run_results.json").read_text())
    assert run_results["args"] == {**args, "write_json": True, "invocation_command": "dbt run -s a"}
    assert run_results["elapsed_time"] == 1.5
    (tmp_path / "manifest.json").unlink()
    dbt_artifacts.write_run_artifacts(result, Manifest(), tmp_path, with_manifest=False)
    assert not (tmp_path / "manifest.json").exists() and (tmp_path / "run_results.json").is_file()


def test_the_selector_function_we_wrap_for_bare_wildcards(monkeypatch) -> None:
    from dbt.graph import selector_methods

    assert list(inspect.signature(selector_methods.is_selected_node).parameters) == [
        "fqn", "node_selector", "is_versioned"]
    monkeypatch.setattr(selector_methods, "is_selected_node", selector_methods.is_selected_node)
    nested = ["proj", "intermediate", "int_hires"]
    dbt_internals.select_bare_wildcards_by_name()
    wrapped = selector_methods.is_selected_node
    dbt_internals.select_bare_wildcards_by_name()
    assert selector_methods.is_selected_node is wrapped  # never wrapped twice
    assert wrapped(nested, "int_*", False)  # the rule, on every dbt of the matrix
    assert getattr(wrapped, "planalign_leaf_matching", False) is dbt_internals.wildcards.needs_leaf_matching()


def test_the_agate_builder_we_wrap_keeps_the_drivers_rows(monkeypatch) -> None:
    from decimal import Decimal

    from dbt_common.clients import agate_helper

    monkeypatch.setattr(agate_helper, "table_from_data_flat", agate_helper.table_from_data_flat)
    dbt_internals.keep_native_rows()
    wrapped = agate_helper.table_from_data_flat
    dbt_internals.keep_native_rows()
    assert agate_helper.table_from_data_flat is wrapped  # never wrapped twice
    table = wrapped(iter([{"i": 5, "f": 1.5, "m": Decimal("1.10")}]), ["i", "f", "m"])
    assert getattr(table, dbt_internals.NATIVE_ROWS) == [{"i": 5, "f": 1.5, "m": Decimal("1.10")}]
    assert list(table.rows[0].values()) == [Decimal("5"), Decimal("1.5"), Decimal("1.10")]  # agate's own


def test_the_profile_hash_is_dbts_own_and_the_target_is_what_jinja_reads(tmp_path) -> None:
    """profile_state renders the profile as dbt does and hashes it as its partial parser does
    (ManifestLoader.build_manifest_state_check); a dbt that hashes otherwise fails here."""
    from argparse import Namespace

    from dbt import flags
    from dbt.parser.manifest import ManifestLoader

    (tmp_path / "profiles.yml").write_text(
        "p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        "      path: \"{{ env_var('X_DB', 'x.duckdb') }}\"\n      threads: 3\n")
    before = flags.get_flags()
    checksum, target = dbt_internals.profile_state(tmp_path, "p", None, {}, {"X_DB": "/data/run7/sim.duckdb"})
    assert target["path"] == "/data/run7/sim.duckdb" and target["database"] == "sim" and target["threads"] == 3
    assert (target["name"], target["type"], target["schema"]) == ("dev", "duckdb", "main")
    assert flags.get_flags() is before  # dbt's flags left as they were

    class Credentials:  # what build_manifest_state_check reads of the config, with our target's pairs
        def connection_info(self):
            return iter([(k, target[k]) for k in ("database", "schema", "path", "config_options", "extensions",
                                                  "settings", "external_root", "use_credential_provider",
                                                  "attach", "filesystems", "remote", "plugins",
                                                  "disable_transactions") if k in target])

    config = Namespace(cli_vars={}, profile_name="p", target_name="dev", vars_from_file={}, args=Namespace(profile=None, target=None),
                       project_env_vars={}, credentials=Credentials())
    loader = ManifestLoader.__new__(ManifestLoader)
    loader.root_project, loader.all_projects = config, {}
    assert loader.build_manifest_state_check().profile_hash.checksum == checksum


def test_a_dag_already_found_acyclic_is_not_searched_again_and_a_cycle_is_still_found(monkeypatch) -> None:
    from dbt.compilation import Linker

    searched: list[int] = []
    original = Linker.find_cycles

    def counting(self):
        searched.append(len(self.graph.edges()))
        return original(self)

    monkeypatch.setattr(Linker, "find_cycles", counting)
    monkeypatch.setattr(dbt_internals, "_ACYCLIC", [])
    dbt_internals.check_cycles_once()
    dbt_internals.check_cycles_once()  # installed once

    def linked(*edges: tuple[str, str]):
        linker = Linker()
        for a, b in edges:
            linker.dependency(b, a)  # b depends on a: an edge a -> b
        return linker

    dag = [("seed.p.s", "model.p.a"), ("model.p.a", "model.p.b")]
    assert linked(*dag).find_cycles() is None
    assert linked(*reversed(dag)).find_cycles() is None  # the same edges: not searched again
    assert searched == [2]
    closed = linked(*dag, ("model.p.b", "model.p.a"))
    assert closed.find_cycles() == "model.p.a --> model.p.b"  # dbt's own answer
    assert linked(*dag, ("model.p.b", "model.p.c")).find_cycles() is None
    assert searched == [2, 3, 3]


def test_artifacts_are_dbts_own_bytes_and_dbts_writer_is_back_after(tmp_path, monkeypatch) -> None:
    from argparse import Namespace

    import dbt.flags
    from dbt.artifacts.schemas import base
    from dbt.contracts.graph.manifest import Manifest
    from dbt_common.clients import system

    monkeypatch.setattr(dbt.flags, "GLOBAL_FLAGS", dbt.flags.GLOBAL_FLAGS)
    dbt.flags.set_from_args(Namespace(), None)
    manifest = Manifest()
    (tmp_path / "dbt").mkdir()
    manifest.write(str(tmp_path / "dbt" / "manifest.json"))  # dbt's writer: json.dump
    dbt_artifacts.write_manifest(manifest, tmp_path / "manifest.json")
    assert (tmp_path / "manifest.json").read_bytes() == (tmp_path / "dbt" / "manifest.json").read_bytes()
    assert base.write_json is system.write_json
    with pytest.raises(RuntimeError), dbt_artifacts.one_shot_json():
        assert base.write_json is not system.write_json
        raise RuntimeError("a failed write")
    assert base.write_json is system.write_json
