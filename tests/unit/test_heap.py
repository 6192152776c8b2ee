"""FrozenHeap: what is alive is left out of collections while dbt runs, and only then."""

from __future__ import annotations

import gc

import pytest

from pytest_planalign_dbt.runner.heap import FrozenHeap


@pytest.fixture(autouse=True)
def _thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.enable()


def test_objects_alive_on_entry_and_those_made_before_freeze_new_are_frozen_until_exit() -> None:
    with FrozenHeap() as heap:
        on_entry = gc.get_freeze_count()
        assert on_entry > 0
        made = [[i] for i in range(1000)]  # the parsed manifest, say
        heap.freeze_new()
        assert gc.get_freeze_count() >= on_entry + len(made)
    assert gc.get_freeze_count() == 0


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
    gc.freeze()
    theirs = gc.get_freeze_count()
    with FrozenHeap() as heap:
        heap.freeze_new()
        assert not heap.owned
    assert gc.get_freeze_count() == theirs


def test_with_the_collector_disabled_nothing_is_touched() -> None:
    gc.disable()
    with FrozenHeap() as heap:
        assert gc.get_freeze_count() == 0
        heap.freeze_new()
        assert gc.get_freeze_count() == 0
    assert not gc.isenabled()
