"""FrozenHeap: what is alive is left out of collections while dbt runs, and only then.

Each test holds the lock every in-process dbt call holds (FrozenHeap is entered under it), so
a dbt call another test left running on a thread of this worker cannot freeze or thaw
meanwhile."""

from __future__ import annotations

import gc

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
