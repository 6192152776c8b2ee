"""Spark fixtures: dbt-spark's in-process session (pyspark and Java), or a clear skip (a failure
when CI requires it: PLANALIGN_REQUIRE_SPARK=1)."""

from __future__ import annotations

import importlib.util
import os

import pytest

from pytest_planalign_dbt.runner.adapters.spark import INSTALL_JAVA, java

REQUIRED = os.environ.get("PLANALIGN_REQUIRE_SPARK") == "1"


@pytest.fixture(scope="session")
def spark_session() -> None:
    """Skip (or fail, with PLANALIGN_REQUIRE_SPARK=1) without dbt-spark's session extra or Java."""
    why = None
    if importlib.util.find_spec("dbt.adapters.spark") is None or importlib.util.find_spec("pyspark") is None:
        why = 'dbt-spark with its session extra is not installed: pip install "pytest-planalign-dbt[spark]"'
    elif java(os.environ) is None:
        why = f"no Java for Spark's JVM: {INSTALL_JAVA}"
    if why is not None:
        if REQUIRED:
            pytest.fail(f"PLANALIGN_REQUIRE_SPARK=1 but {why}", pytrace=False)
        pytest.skip(why)
