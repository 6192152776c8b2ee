"""The bare-wildcard rule of dbt-core 1.11.16+, added to an older dbt's own matching."""

from __future__ import annotations

import pytest

from pytest_planalign_dbt.runner import wildcards


def whole_name_only(fqn, node_selector, is_versioned) -> bool:
    """What dbt 1.10 / 1.12.0 do with a selector of one part: fnmatch the whole dotted name."""
    from fnmatch import fnmatch

    return bool(fqn) and list(fqn)[-1] == node_selector or fnmatch(".".join(fqn), node_selector)


@pytest.mark.parametrize(("fqn", "selector", "versioned", "selected"), [
    (["p", "intermediate", "int_hires"], "int_*", False, True),  # nested: the leaf matches
    (["p", "int_root"], "int_*", False, True),  # "p.int_root" does not match, its leaf does
    (["int_root"], "int_*", False, True),  # unscoped (dbt's second try): the old rule matches
    (["p", "intermediate", "int_hires"], "int_?ires", False, True),
    (["p", "intermediate", "int_hires"], "int_[xy]*", False, False),
    (["p", "intermediate", "int_versioned", "v2"], "int_v*", True, True),  # the model's name
    (["p", "intermediate", "int_versioned", "v2"], "v*", True, False),  # not the version tag
    (["p", "intermediate", "int_hires"], "intermediate.int_*", False, False),  # dotted: dbt's own rule
    (["p", "intermediate", "int_hires"], "int_hires", False, True),  # no wildcard: dbt's own rule
    (["p", "intermediate", "stg_x"], "int_*", False, False),
    ([], "int_*", False, False),  # an empty unscoped name never raises
    (["v2"], "int_*", True, False),
])
def test_leaf_matching(fqn, selector, versioned, selected) -> None:
    assert wildcards.leaf_matching(whole_name_only)(fqn, selector, versioned) is selected


@pytest.mark.parametrize(("selector", "bare"), [
    ("int_*", True), ("*", True), ("int_[ab]", True), ("int_hires", False), ("a.int_*", False),
])
def test_is_bare_wildcard(selector, bare) -> None:
    assert wildcards.is_bare_wildcard(selector) is bare
