"""pytest-planalign-dbt: run dbt projects from pytest, node by node."""

from __future__ import annotations

from . import runner
from .runner import *  # noqa: F403  (the public names are the runner core's; listed once, there)

__version__ = "0.1.0"

__all__ = [*runner.__all__, "__version__"]
