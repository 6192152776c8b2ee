"""The node listing kept in pytest's cache: a warm collection starts no dbt, a stale one is
never trusted, and under xdist only one worker ever loads dbt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

FROM_CACHE = "dbt: * selected node(s) from the listing kept in pytest's cache*"
LISTED = "dbt: * selected node(s) listed by dbt ls; kept in pytest's cache for the next run"

# Written by each process (an xdist worker, the controller, a plain session) as it finishes:
# whether dbt was ever imported in it.
IMPORTS_CONFTEST = """
import json, os, sys

def pytest_sessionfinish(session):
    worker = getattr(session.config, "workerinput", {}).get("workerid", "main")
    with open(os.path.join(str(session.config.rootpath), "imports.jsonl"), "a") as f:
        f.write(json.dumps({"process": worker, "dbt": "dbt.cli.main" in sys.modules}) + "\\n")
"""


def imports(root: Path) -> dict[str, bool]:
    """Which processes imported dbt since the last look (and forget them)."""
    path = root / "imports.jsonl"
    seen = {r["process"]: r["dbt"] for r in map(json.loads, path.read_text().splitlines())}
    path.unlink()
    return seen


def collected(result: pytest.RunResult) -> list[str]:
    """The names of the collected dbt items (``--collect-only`` without -q prints a tree)."""
    return sorted(line.strip()[len("<DbtItem "):-1] for line in result.stdout.lines
                  if line.strip().startswith("<DbtItem "))


def test_a_warm_collection_never_starts_dbt(dbt_project, run_subprocess, pytester) -> None:
    dbt_project("varsdag")
    pytester.makeconftest(IMPORTS_CONFTEST)
    args = ("--dbt-project-dir", "varsdag", "--dbt-select", "*", "--collect-only")
    cold = run_subprocess(*args)
    assert cold.ret == 0, cold.stdout.str()[-2000:]
    cold.stdout.fnmatch_lines([LISTED])
    assert imports(pytester.path) == {"main": True}
    warm = run_subprocess(*args)
    assert warm.ret == 0
    warm.stdout.fnmatch_lines([FROM_CACHE])
    assert imports(pytester.path) == {"main": False}  # not even imported
    assert collected(warm) == collected(cold) and len(collected(cold)) == 4
    # --cache-clear forgets it: dbt lists again.
    cleared = run_subprocess(*args, "--cache-clear")
    cleared.stdout.fnmatch_lines([LISTED])
    assert imports(pytester.path) == {"main": True}


def test_vars_edits_and_env_vars_the_project_reads_change_the_listing(dbt_project, run, pytester,
                                                                      monkeypatch) -> None:
    project = dbt_project("varsdag")
    (project / "models" / "by_env.sql").write_text(
        "{{ config(enabled=env_var('PLANALIGN_TEST_BY_ENV', 'off') == 'on') }}\nselect 1 as n\n")
    args = ("--dbt-project-dir", "varsdag", "--dbt-select", "*", "--collect-only")

    def names(*extra: str, cached: bool) -> set[str]:
        result = run(*args, *extra)
        assert result.ret == 0, result.stdout.str()[-2000:]
        result.stdout.fnmatch_lines([FROM_CACHE if cached else LISTED])
        return set(collected(result))

    base = names(cached=False)
    assert "only_b" not in base and "by_env" not in base
    assert names(cached=True) == base
    with_b = names("--dbt-vars", "{source: b}", cached=False)  # a var enables only_b
    assert with_b == base | {"only_b"}
    assert names(cached=True) == base and names("--dbt-vars", "{source: b}", cached=True) == with_b

    monkeypatch.setenv("PLANALIGN_TEST_BY_ENV", "on")  # the project reads it: listed again
    assert names(cached=False) == base | {"by_env"}
    assert names(cached=True) == base | {"by_env"}

    (project / "models" / "added.sql").write_text("select 2 as n\n")  # an edit: listed again
    assert names(cached=False) == base | {"by_env", "added"}

    # A kept listing that cannot be read, or was kept under another key, is never trusted.
    kept = list((pytester.path / ".pytest_cache" / "d" / "planalign_dbt_nodes").glob("*.json"))
    assert kept
    for path in kept:
        path.write_text("{not json")
    assert names(cached=False) == base | {"by_env", "added"}
    newest = max(kept, key=lambda p: p.stat().st_mtime_ns)  # the one just kept again
    data = json.loads(newest.read_text())
    data["key"] = "another"
    newest.write_text(json.dumps(data))
    assert names(cached=False) == base | {"by_env", "added"}


def test_a_project_reading_an_env_var_by_a_computed_name_is_never_kept(dbt_project, run) -> None:
    project = dbt_project("varsdag")
    (project / "models" / "dynamic.sql").write_text("select '{{ env_var('HOME' ~ '') }}' as h\n")
    args = ("--dbt-project-dir", "varsdag", "--dbt-select", "*", "--collect-only")
    for _ in range(2):
        result = run(*args)
        assert result.ret == 0
        result.stdout.fnmatch_lines(["dbt: * selected node(s) listed by dbt ls; not kept for the next run: "
                                     "*/models/dynamic.sql reads an environment variable by a computed name*"])
        result.stdout.no_fnmatch_line("*kept in pytest's cache*")


def test_under_xdist_one_worker_loads_dbt_and_builds_for_all(dbt_project, run_subprocess, pytester) -> None:
    dbt_project("holdout")
    pytester.makeconftest(IMPORTS_CONFTEST)
    args = ("--dbt-project-dir", "holdout", "--dbt-select", "*", "-n", "2", "-p", "no:randomly")
    for _ in range(2):  # cold (listed by one worker), then warm (from the kept listing)
        result = run_subprocess(*args)
        assert result.ret == 1  # holdout fails on purpose; the outcomes are checked in test_fidelity
        assert result.parseoutcomes()["passed"] >= 1
        seen = imports(pytester.path)
        assert seen.pop("main") is False  # the controller
        assert sorted(seen) == ["gw0", "gw1"] and sorted(seen.values()) == [False, True], seen


def test_the_sessions_parses_leave_memory_when_it_ends(dbt_project, run, pytester) -> None:
    """The collection's runner and the dbt_runner fixture's hold their parse during the session,
    and let it go as it ends (before pytest's last collections of garbage walk it)."""
    dbt_project("minimal")
    pytester.makepyfile(test_mine="""
        def test_mine(dbt_runner, held):
            assert dbt_runner.execute_command(["ls"], stream_output=False).success
            assert dbt_runner.executor.manifest() is not None
            held["fixture"] = dbt_runner
    """)
    pytester.makeconftest("""
        import pytest
        from pytest_planalign_dbt.collection import COLLECTION_KEY
        HELD = {}

        @pytest.fixture
        def held():
            return HELD

        def pytest_sessionfinish(session):
            HELD["collection"] = session.config.stash[COLLECTION_KEY].runner.executor.manifest() is not None
    """)
    result = run("--dbt-project-dir", "minimal", "--dbt-select", "*")
    assert result.ret == 0, result.stdout.str()[-2000:]
    from pytest_planalign_dbt.collection import COLLECTION_KEY
    config = result.reprec.getcall("pytest_unconfigure").config  # type: ignore[attr-defined]
    conftest = config.pluginmanager.get_plugin(str(pytester.path / "conftest.py"))
    assert conftest.HELD["collection"] is True
    assert config.stash[COLLECTION_KEY].runner.executor.manifest() is None
    assert conftest.HELD["fixture"].executor.manifest() is None
