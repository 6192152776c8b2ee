"""FrozenHeap: what is alive is left out of collections while dbt runs, and only then.

Each test holds the lock every in-process dbt call holds (FrozenHeap is entered under it), so
a dbt call another test left running on a thread of this worker cannot freeze or thaw
meanwhile."""

from __future__ import annotations

import gc
import weakref

import pytest

from pytest_planalign_dbt.runner.executors.inprocess import DBT_PROCESS_LOCK
from pytest_planalign_dbt.runner.parse.heap import FrozenHeap


@pytest.fixture(autouse=True)
def _thawed():
    with DBT_PROCESS_LOCK:
        gc.unfreeze()
        yield
        gc.unfreeze()
        gc.enable()


def test_objects_alive_on_entry_and_those_made_before_freeze_new_are_frozen_until_exit() -> None:
    alive = [[0]]
    with FrozenHeap() as heap:
        assert gc.get_freeze_count() > 0
        assert not any(o is alive for o in gc.get_objects())  # frozen: collections skip it
        made = [[i] for i in range(1000)]  # the parsed manifest, say
        assert any(o is made for o in gc.get_objects())
        heap.freeze_new()
        assert not any(o is made for o in gc.get_objects())
    assert gc.get_freeze_count() == 0
    assert any(o is alive for o in gc.get_objects()) and any(o is made for o in gc.get_objects())


def test_cyclic_garbage_made_while_frozen_is_collected_after_exit() -> None:
    class Node:
        pass

    with FrozenHeap():
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert not [o for o in gc.get_objects() if type(o) is Node]


def test_exit_by_an_exception_thaws_too() -> None:
    with pytest.raises(RuntimeError), FrozenHeap():
        raise RuntimeError("dbt failed")
    assert gc.get_freeze_count() == 0


def test_someone_elses_freeze_is_left_as_it_was() -> None:
    theirs = [[1], [2]]  # frozen by someone else (the count itself moves as frozen objects die)
    gc.freeze()
    with FrozenHeap() as heap:
        heap.freeze_new()
        assert not heap.owned
    assert gc.get_freeze_count() > 0
    assert not any(o is theirs for o in gc.get_objects())  # still frozen: not walked


def test_with_the_collector_disabled_nothing_is_touched() -> None:
    gc.disable()
    with FrozenHeap() as heap:
        assert gc.get_freeze_count() == 0
        heap.freeze_new()
        assert gc.get_freeze_count() == 0
    assert not gc.isenabled()


class _Config:
    """What exit_heap reads of a pytest.Config: its stash and the plugins pytest.main was given
    (``inline``: one of pytester's, as its in-process runs pass)."""

    def __init__(self, exit_collections: int | None = None) -> None:
        plugin = type("Collect", (), {"__module__": "_pytest.pytester"})() if exit_collections == 0 else object()
        self.stash = pytest.Stash()
        self.invocation_params = type("Params", (), {"plugins": (plugin,)})()


def test_pytesters_in_process_runs_are_told_apart_from_a_run_of_pytest(pytester: pytest.Pytester) -> None:
    """The real thing: pytester's in-process run, which collects no garbage at its end."""
    pytester.makeconftest(
        "from pytest_planalign_dbt import exit_heap\n"
        "def pytest_configure(config):\n"
        "    print('exit collections:', exit_heap._exit_collections(config))\n"
    )
    pytester.makepyfile("def test_one(): pass")
    inline = pytester.runpytest_inprocess("-s", "-p", "no:randomly")
    assert "exit collections: 0" in inline.stdout.str()
    assert "exit collections: 1" in pytester.runpytest_subprocess("-s").stdout.str()


def test_the_exit_heap_is_collected_once_frozen_and_thawed_by_the_last_cleanup() -> None:
    import dbt.cli.main  # noqa: F401  (what makes the heap worth it)

    from pytest_planalign_dbt import exit_heap

    class Node:
        pass

    config = _Config()
    garbage = Node()
    garbage.itself = garbage  # a cycle: only a collection frees it
    dead = weakref.ref(garbage)
    del garbage
    assert exit_heap.freeze_for_exit(config)  # type: ignore[arg-type]
    assert dead() is None  # collected first, with pytest's unraisable hook still in place
    assert gc.get_freeze_count() > 0
    exit_heap.thaw(config)  # type: ignore[arg-type]
    assert gc.get_freeze_count() == 0
    exit_heap.thaw(config)  # type: ignore[arg-type]  (twice is harmless)


def test_the_exit_heap_is_left_alone_when_pytest_will_not_collect_or_someone_froze_it() -> None:
    from pytest_planalign_dbt import exit_heap

    assert not exit_heap.freeze_for_exit(_Config(exit_collections=0))  # type: ignore[arg-type]  (pytester inline)
    assert gc.get_freeze_count() == 0
    theirs = [[0]]  # frozen by someone else below
    gc.freeze()
    config = _Config()
    assert not exit_heap.freeze_for_exit(config)  # type: ignore[arg-type]
    exit_heap.thaw(config)  # type: ignore[arg-type]
    # Not ours to thaw: still frozen (the count itself moves as frozen objects die).
    assert gc.get_freeze_count() > 0 and not any(o is theirs for o in gc.get_objects())
    gc.unfreeze()
    gc.disable()
    assert not exit_heap.freeze_for_exit(_Config())  # type: ignore[arg-type]
    assert gc.get_freeze_count() == 0
