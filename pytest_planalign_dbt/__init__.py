"""pytest-planalign-dbt: run dbt projects from pytest, node by node."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import runner
from .runner import *  # noqa: F403  (the public names are the runner core's; listed once, there)

if TYPE_CHECKING:
    from .fixtures import BoundDbt, DbtScenario
    from .options import DbtSettings
    from .regression import DbtRegression

__version__ = "0.1.0"

# The fixtures' types, for annotations (``def test_rows(dbt: BoundDbt)``), as pytest-django
# exports its own. Loaded when first named: ``import pytest_planalign_dbt`` in a script (the
# runner alone) never imports pytest.
FIXTURE_TYPES = {"BoundDbt": "fixtures", "DbtScenario": "fixtures", "DbtSettings": "options",
                 "DbtRegression": "regression"}

__all__ = [*runner.__all__, *FIXTURE_TYPES, "__version__"]


def __getattr__(name: str) -> Any:
    if name in FIXTURE_TYPES:
        return getattr(importlib.import_module(f".{FIXTURE_TYPES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *FIXTURE_TYPES})
