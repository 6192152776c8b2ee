"""The engines room (runner/adapters/): Spark in this process (what it needs, where its metastore
goes; no Spark here), and that each engine speaks only through the room."""

from __future__ import annotations

import re
import socket
import stat
from pathlib import Path

import pytest
import yaml

from pytest_planalign_dbt.runner import adapters
from pytest_planalign_dbt.runner.adapters import spark
from pytest_planalign_dbt.runner.failures.gone import say_engine_gone
from pytest_planalign_dbt.runner.profiles import write_cwd_free_profiles

SESSION = {"type": "spark", "method": "session", "host": "NA", "schema": "analytics"}


def fake_java(tmp_path: Path) -> Path:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text("#!/bin/sh\n")
    java.chmod(java.stat().st_mode | stat.S_IXUSR)
    return home


def test_the_java_pyspark_would_start(tmp_path: Path) -> None:
    home = fake_java(tmp_path)
    assert spark.java({"JAVA_HOME": str(home)}) == str(home / "bin" / "java")
    assert spark.java({"JAVA_HOME": str(tmp_path / "nowhere"), "PATH": str(home / "bin")}) is None  # JAVA_HOME wins
    assert spark.java({"PATH": str(home / "bin")}) == str(home / "bin" / "java")
    assert spark.java({"PATH": str(tmp_path)}) is None


def test_a_session_target_needs_pyspark_and_java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert adapters.refusal({"type": "duckdb"}, {}) is None  # nothing asked of other targets
    assert adapters.refusal({**SESSION, "method": "thrift"}, {}) is None
    monkeypatch.setattr(spark.importlib.util, "find_spec", lambda name: None)
    assert 'pip install "pytest-planalign-dbt[spark]"' in adapters.refusal(SESSION, {"PATH": str(fake_java(tmp_path) / "bin")})
    monkeypatch.setattr(spark.importlib.util, "find_spec", lambda name: object())
    assert "needs Java: apt-get install openjdk-17-jre-headless" in adapters.refusal(SESSION, {"PATH": str(tmp_path)})
    assert adapters.refusal(SESSION, {"PATH": str(fake_java(tmp_path / "ok") / "bin")}) is None



def test_each_worker_gets_a_metastore_and_warehouse_of_its_own(tmp_path: Path) -> None:
    output = dict(SESSION, server_side_parameters={"spark.ui.enabled": "false"})
    spark.isolate(output, tmp_path, "-gw1")
    params = output["server_side_parameters"]
    assert params["spark.sql.warehouse.dir"] == str(tmp_path / "target" / "spark-gw1" / "warehouse")
    assert params["spark.driver.extraJavaOptions"] == f"-Dderby.system.home={tmp_path}/target/spark-gw1/metastore"
    assert params["spark.ui.enabled"] == "false"


def test_the_user_s_own_directories_are_kept_absolute_and_suffixed(tmp_path: Path) -> None:
    output = dict(SESSION, server_side_parameters={
        "spark.sql.warehouse.dir": "wh", "spark.driver.extraJavaOptions": "-Xmx2g -Dderby.system.home=/srv/derby"})
    spark.isolate(output, tmp_path, "-gw0")
    params = output["server_side_parameters"]
    assert params["spark.sql.warehouse.dir"] == str(tmp_path / "wh") + "-gw0"
    assert params["spark.driver.extraJavaOptions"] == "-Xmx2g -Dderby.system.home=/srv/derby-gw0"


def test_the_private_profiles_copy_isolates_a_session_target(tmp_path: Path) -> None:
    source, dest, project = tmp_path / "src", tmp_path / "dest", tmp_path / "project"
    source.mkdir()
    (source / "profiles.yml").write_text(yaml.safe_dump({"p": {"target": "dev", "outputs": {"dev": SESSION}}}))
    assert write_cwd_free_profiles(source, project, dest, "-scenario-a")
    dev = yaml.safe_load((dest / "profiles.yml").read_text())["p"]["outputs"]["dev"]
    assert dev["schema"] == "analytics_scenario_a"
    assert dev["server_side_parameters"]["spark.sql.warehouse.dir"] == str(project / "target" / "spark-scenario-a" / "warehouse")
    # In-process without a suffix (the working directory is shared): still not the working directory's.
    assert write_cwd_free_profiles(source, project, tmp_path / "plain")
    plain = yaml.safe_load((tmp_path / "plain" / "profiles.yml").read_text())["p"]["outputs"]["dev"]
    assert plain["schema"] == "analytics"
    assert plain["server_side_parameters"]["spark.sql.warehouse.dir"] == str(project / "target" / "spark" / "warehouse")


def test_a_jvm_that_is_gone_is_an_execution_error_not_a_busy_server() -> None:
    from pytest_planalign_dbt.runner.invocation import Invocation
    from pytest_planalign_dbt.runner.failures.classify import classify_message
    from pytest_planalign_dbt.runner.results import NodeResult

    def invocation() -> Invocation:
        lost = "Runtime Error\n  [Errno 111] Connection refused"
        return Invocation(command=None, argv=["dbt", "run"], return_code=1, lines=[], stderr=lost,  # type: ignore[arg-type]
                          nodes=[NodeResult("model.p.a", "a", "model", "error", lost, error_class="transient"),
                                 NodeResult("model.p.b", "b", "model", "success")], fatal=lost,
                          invocation_id=None, duration=0.1)
    class Info:
        def __init__(self, output: dict) -> None:
            self.output, self.asked = output, 0

        def target_output(self, target: str | None) -> dict:
            self.asked += 1
            return self.output

    on_duckdb = invocation()
    say_engine_gone(on_duckdb, Info({"type": "duckdb"}), None)
    assert classify_message(on_duckdb.fatal or "") == "transient"  # a server's refusal elsewhere
    passed, info = invocation(), Info(SESSION)
    passed.return_code = 0
    say_engine_gone(passed, info, None)
    assert info.asked == 0  # a success never reads the profile
    gone = invocation()
    say_engine_gone(gone, Info(SESSION), "dev")
    assert gone.fatal == gone.stderr == "Runtime Error\n  Spark's JVM in this process is gone (py4j could not reach it)"
    assert classify_message(gone.fatal) == "execution"
    assert [n.error_class for n in gone.nodes] == ["execution", None] and gone.nodes[1].message is None


def test_each_output_has_one_engine_and_servers_take_the_rest() -> None:
    names = [adapters.engine_for(o).name for o in (
        {"type": "duckdb"}, {"type": "spark", "method": "thrift"}, {"type": "postgres"}, {"type": "trino"}, {})]
    assert names == ["duckdb", "spark", "server", "server", "server"]
    assert adapters.is_transient('IO Error: Could not set lock on file "/d/sim.duckdb": Conflicting lock is held')
    assert adapters.is_transient("FATAL: the database system is starting up")
    assert not adapters.is_transient("Binder Error: column x not found")
    holder = adapters.lock_holder('Could not set lock on file "/d/sim.duckdb": Conflicting lock is held in '
                                  '/usr/bin/python3 (PID 4242)')
    assert holder == {"file": "/d/sim.duckdb", "exe": "/usr/bin/python3", "pid": "4242"}
    assert adapters.lock_holder("no lock here") is None
    assert ".duckdb" in adapters.data_suffixes()


def test_a_new_engine_is_one_record_and_the_runner_follows_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What adding an engine takes: an Engine in ENGINES. Profiles isolate through it, the fix
    table and retries read it, the runner refuses what it refuses."""
    from pytest_planalign_dbt.runner.adapters.base import Engine, matches
    from pytest_planalign_dbt.runner.failures.classify import classify_message
    from pytest_planalign_dbt.runner.failures.fixes import suggest_fix

    def isolate(output: dict, project_dir: Path, suffix: str) -> bool:
        output["catalog"] = f"lake{suffix}"
        return True

    trino = Engine(name="trino", serves=lambda o: o.get("type") == "trino", isolate=isolate,
                   check=lambda o, env: None if env.get("TRINO_HOST") else "set TRINO_HOST",
                   transient=(re.compile(r"SERVER_STARTING_UP"),),
                   fixes=(matches(r"CATALOG_NOT_FOUND", "create the catalog first"),))
    monkeypatch.setattr(adapters, "ENGINES", (trino, *adapters.ENGINES))
    src = tmp_path / "src"
    src.mkdir()
    (src / "profiles.yml").write_text(yaml.safe_dump({"p": {"target": "dev", "outputs": {"dev": {"type": "trino"}}}}))
    assert write_cwd_free_profiles(src, tmp_path, tmp_path / "copy", "-gw0")
    copied = yaml.safe_load((tmp_path / "copy" / "profiles.yml").read_text())
    assert copied["p"]["outputs"]["dev"]["catalog"] == "lake-gw0"
    assert adapters.refusal({"type": "trino"}, {}) == "set TRINO_HOST"
    assert classify_message("TrinoQueryError: SERVER_STARTING_UP") == "transient"
    assert suggest_fix("execution", "CATALOG_NOT_FOUND: lake") == "create the catalog first"


def _rendered(value: str) -> str:
    """A profile value as dbt renders it when it loads the profile."""
    import contextvars
    import os

    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    def render() -> str:
        set_invocation_context(dict(os.environ))
        return str(ProfileRenderer({}).render_value(value))

    return contextvars.copy_context().run(render)


@pytest.mark.parametrize("suffix", ["-gw0", ""])
def test_every_rewritten_field_written_in_jinja_is_rendered_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    suffix: str) -> None:
    """A worker's copy of a profile rewrites what dbt renders: the same as rewriting the
    rendered value (a Derby home built with env_var once became ``{{-gw0 env_var(...) }}``)."""
    monkeypatch.setenv("PA_DIR", "data")
    monkeypatch.setenv("PA_SCHEMA", "analytics")
    monkeypatch.setenv("PA_ABS", str(tmp_path / "abs"))
    project = tmp_path / "project"
    jinja = {
        "duck": {"type": "duckdb", "path": "{{ env_var('PA_DIR') }}/sim.duckdb"},
        "pg": {"type": "postgres", "schema": "{{ env_var('PA_SCHEMA') }}"},
        "spark": dict(SESSION, schema="{{ env_var('PA_SCHEMA') }}", server_side_parameters={
            "spark.sql.warehouse.dir": "{{ env_var('PA_DIR', '.') }}/wh",
            "spark.driver.extraJavaOptions": "-Xmx1g -Dderby.system.home={{ env_var('PA_ABS', '.') }}/derby -Dx=1"}),
        "spark_home": dict(SESSION, server_side_parameters={
            "spark.driver.extraJavaOptions": "{{ '-Xmx1g' if env_var('PA_DIR') else '' }}"}),
    }
    plain = {name: yaml.safe_load(_rendered_yaml(output)) for name, output in jinja.items()}
    copies = {}
    for name, outputs in (("jinja", jinja), ("plain", plain)):
        src = tmp_path / name
        src.mkdir()
        (src / "profiles.yml").write_text(yaml.safe_dump({"p": {"target": "duck", "outputs": outputs}}))
        write_cwd_free_profiles(src, project, tmp_path / f"{name}-copy", suffix)
        copies[name] = yaml.safe_load((tmp_path / f"{name}-copy" / "profiles.yml").read_text())["p"]["outputs"]

    def fields(outputs: dict) -> dict:
        spark_params = outputs["spark"]["server_side_parameters"]
        return {"duck": outputs["duck"]["path"], "pg": outputs["pg"]["schema"], "spark": outputs["spark"]["schema"],
                "wh": spark_params["spark.sql.warehouse.dir"],
                "derby": spark_params["spark.driver.extraJavaOptions"],
                "default derby": outputs["spark_home"]["server_side_parameters"]["spark.driver.extraJavaOptions"]}

    rendered = {k: _rendered(v) for k, v in fields(copies["jinja"]).items()}
    assert rendered == fields(copies["plain"])
    assert rendered["derby"] == f"-Xmx1g -Dderby.system.home={tmp_path}/abs/derby{suffix} -Dx=1"
    assert rendered["default derby"] == f"-Xmx1g -Dderby.system.home={project}/target/spark{suffix}/metastore"


def _rendered_yaml(output: dict) -> str:
    """Every string of a profile output rendered, as YAML (the plain twin of a Jinja profile)."""
    def walk(value):
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return _rendered(value) if isinstance(value, str) else value
    return yaml.safe_dump(walk(output))


def test_which_targets_have_a_server_to_ask_and_where() -> None:
    from pytest_planalign_dbt.runner.adapters import servers

    thrift = {"type": "spark", "method": "thrift", "host": "h"}
    assert adapters.engine_for(thrift).endpoint(thrift, {"host": "h", "port": None}) == ("h", 10000)
    http = {"type": "spark", "method": "http"}
    assert adapters.engine_for(http).endpoint(http, {"host": "dbc.example", "port": 0}) == ("dbc.example", 443)
    assert adapters.unanswered(SESSION, {"host": "NA"}) is None  # Spark in this process: no server
    assert adapters.unanswered({"type": "duckdb", "path": "x.duckdb"}, {}) is None
    assert servers.endpoint({"type": "postgres"}, {"host": "db"}) == ("db", 5432)
    assert servers.endpoint({"type": "trino"}, {"host": "db"}) is None  # no port, no known default
    assert servers.endpoint({"type": "postgres"}, {"host": "db", "port": "x"}) is None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        pg = {"type": "postgres"}
        assert adapters.unanswered(pg, {"host": "127.0.0.1", "port": port}) is not None  # bound, not listening
        s.listen()
        assert adapters.unanswered(pg, {"host": "127.0.0.1", "port": port}) is None
