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


@pytest.fixture(scope="session")
def thrift_client(spark_session) -> None:
    """Skip (or fail, when CI requires it) without PyHive (dbt-spark's thrift extra)."""
    import importlib.util

    if importlib.util.find_spec("pyhive") is None:
        why = 'dbt-spark\'s thrift extra is not installed: pip install "dbt-spark[PyHive]"'
        if REQUIRED:
            pytest.fail(f"PLANALIGN_REQUIRE_SPARK=1 but {why}", pytrace=False)
        pytest.skip(why)


@pytest.fixture(scope="session")
def spark_cluster(thrift_client, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A Spark standalone cluster's Thrift port, in PLANALIGN_SPARK_THRIFT_PORT: the one `.ci/run`
    started (tests/helpers/spark_cluster.py), else one started for this test process and
    stopped after it. Without PyHive (dbt-spark's thrift extra): a skip, or a failure when CI
    requires it."""
    from tests.helpers.spark_cluster import SparkCluster, answers

    given = os.environ.get("PLANALIGN_SPARK_THRIFT_PORT")
    if given:
        if not answers(int(given)):
            pytest.fail(f"PLANALIGN_SPARK_THRIFT_PORT={given} but nothing answers there", pytrace=False)
        yield int(given)
        return
    cluster = SparkCluster(tmp_path_factory.mktemp("spark-cluster")).start()
    os.environ["PLANALIGN_SPARK_THRIFT_PORT"] = str(cluster.thrift_port)
    try:
        yield cluster.thrift_port
    finally:
        os.environ.pop("PLANALIGN_SPARK_THRIFT_PORT", None)
        cluster.stop()
