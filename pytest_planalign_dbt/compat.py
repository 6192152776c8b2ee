"""The PlanAlign orchestrator's drop-in, at the import path its users know:
``from pytest_planalign_dbt.compat import DbtRunner, run_dbt_command``.

It lives beside the runner core (``runner/compat.py``: no pytest in it); this module names it.
"""

from __future__ import annotations

from typing import Any

from .runner import compat as _compat

__all__ = list(_compat.__all__)


def __getattr__(name: str) -> Any:
    """Every name of ``runner/compat.py`` (PEP 562)."""
    return getattr(_compat, name)
