from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pytest_planalign_dbt.runner.failures.errors import DbtConfigError
from pytest_planalign_dbt.runner.profiles import resolve_profiles_dir
from pytest_planalign_dbt.runner.project import (
    find_project_dir,
    fingerprint,
    load_project,
)
from pytest_planalign_dbt.runner.secrets import Redactor, env_secrets


def _project(tmp_path: Path, profiles: str | None = None) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: p\nprofile: p\nconfig-version: 2\n")
    if profiles is not None:
        (tmp_path / "profiles.yml").write_text(profiles)
    return tmp_path


def test_find_project_dir(tmp_path: Path) -> None:
    with pytest.raises(DbtConfigError, match="does not exist"):
        find_project_dir(tmp_path / "nope")
    with pytest.raises(DbtConfigError, match="no dbt_project.yml"):
        find_project_dir(tmp_path)
    assert find_project_dir(_project(tmp_path)) == tmp_path.resolve()


def test_profiles_dir_precedence(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    project = _project(tmp_path / "proj", "p: {}")
    other = tmp_path / "other"
    other.mkdir()
    (other / "profiles.yml").write_text("p: {}")
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    (env_dir / "profiles.yml").write_text("p: {}")
    env = {"DBT_PROFILES_DIR": str(env_dir)}
    assert resolve_profiles_dir(other, project, env) == other.resolve()
    assert resolve_profiles_dir(None, project, env) == env_dir.resolve()
    assert resolve_profiles_dir(None, project, {}) == project
    (project / "profiles.yml").unlink()
    assert resolve_profiles_dir(None, project, {}) is None
    with pytest.raises(DbtConfigError, match="profiles_dir .* holds no profiles.yml"):
        resolve_profiles_dir(tmp_path / "missing", project, {})
    with pytest.raises(DbtConfigError, match="DBT_PROFILES_DIR"):
        resolve_profiles_dir(None, project, {"DBT_PROFILES_DIR": str(tmp_path / "missing")})


def test_load_project_reads_targets_adapter_and_secrets(tmp_path: Path) -> None:
    project = _project(tmp_path, """
p:
  target: dev
  outputs:
    dev: {type: duckdb, path: x.duckdb}
    prod: {type: postgres, password: hunter2hunter2, user: "{{ env_var('U') }}",
           pass: "{{ env_var('DBT_ENV_SECRET_PW') }}", extra: [{token: abcdefgh}]}
""")
    info = load_project(project, project)
    assert info.name == "p" and info.targets() == ["dev", "prod"] and info.default_target() == "dev"
    assert info.adapter_type(None) == "duckdb" and info.adapter_type("prod") == "postgres"
    assert info.adapter_type("nope") is None
    assert set(info.secrets) == {"hunter2hunter2", "abcdefgh"}
    assert info.target_path == project / "target"
    (project / "dbt_project.yml").write_text("name: [")
    with pytest.raises(DbtConfigError, match="not valid YAML"):
        load_project(project, project)


def test_profiles_that_are_missing_or_odd_give_no_targets(tmp_path: Path) -> None:
    assert load_project(_project(tmp_path), tmp_path / "none").targets() == []
    (tmp_path / "profiles.yml").write_text("p: just-a-string")
    assert load_project(tmp_path, tmp_path).targets() == []
    (tmp_path / "profiles.yml").write_text("- a list")
    with pytest.raises(DbtConfigError, match=r"profiles.yml:1: must be a mapping of settings, got list"):
        load_project(tmp_path, tmp_path)  # dbt could not read it either: said before it starts


def test_env_secrets_and_redaction() -> None:
    env = {"DBT_ENV_SECRET_PW": "s3cretvalue", "PGPASSWORD": "pgpass", "HOME": "/root", "API_TOKEN": "ab"}
    secrets = env_secrets(env)
    assert set(secrets) == {"s3cretvalue", "pgpass"}
    redact = Redactor([*secrets, ""])
    assert redact("password=s3cretvalue and pgpass") == "password=**** and ****"


def test_fingerprint_changes_with_any_project_file(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "models").mkdir()
    model = project / "models" / "a.sql"
    model.write_text("select 1")
    (project / "target").mkdir()
    first = fingerprint(project)
    (project / "target" / "manifest.json").write_text("{}")
    (project / "db.duckdb").write_text("x")
    (project / ".user.yml").write_text("id: 1")
    assert fingerprint(project) == first  # artifacts and databases do not count
    model.write_text("select 2 -- changed")
    second = fingerprint(project)
    assert second != first
    extra = tmp_path / "elsewhere.yml"
    assert fingerprint(project, [extra]) != second


def test_cwd_free_profiles_make_relative_duckdb_paths_absolute(tmp_path: Path) -> None:
    from pytest_planalign_dbt.runner.profiles import write_cwd_free_profiles

    src = tmp_path / "src"
    src.mkdir()
    (src / "profiles.yml").write_text("""
p:
  outputs:
    rel: {type: duckdb, path: data/x.duckdb}
    abs: {type: duckdb, path: /data/x.duckdb}
    mem: {type: duckdb, path: ":memory:"}
    md: {type: duckdb, path: "md:my_db"}
    jinja: {type: duckdb, path: "{{ env_var('X', 'y.duckdb') }}"}
    pg: {type: postgres, host: localhost}
q: not-a-mapping
""")
    dest = tmp_path / "dest"
    project = tmp_path / "proj"
    assert write_cwd_free_profiles(src, project, dest) is True
    outputs = yaml.safe_load((dest / "profiles.yml").read_text())["p"]["outputs"]
    assert outputs["rel"]["path"] == f"{project}/data/x.duckdb"
    assert [outputs[k]["path"] for k in ("abs", "mem", "md")] == ["/data/x.duckdb", ":memory:", "md:my_db"]
    assert outputs["jinja"]["path"].startswith("{%- set _planalign_path -%}{{ env_var('X', 'y.duckdb') }}")
    assert f"'{project}/' ~ _planalign_path" in outputs["jinja"]["path"]
    assert outputs["pg"] == {"type": "postgres", "host": "localhost"}
    assert oct((dest / "profiles.yml").stat().st_mode & 0o777) == "0o600"
    (src / "profiles.yml").write_text("p: {outputs: {a: {type: duckdb, path: /abs.duckdb}}}")
    assert write_cwd_free_profiles(src, project, tmp_path / "none") is False
    assert not (tmp_path / "none").exists()


def test_suffix_gives_a_file_or_a_schema_of_its_own(tmp_path: Path) -> None:
    from pytest_planalign_dbt.runner.adapters.duckdb import with_suffix
    from pytest_planalign_dbt.runner.profiles import write_cwd_free_profiles

    assert with_suffix("/d/sim.duckdb", "-gw0") == "/d/sim-gw0.duckdb"
    assert with_suffix("/d.dir/sim", "-gw0") == "/d.dir/sim-gw0"
    assert with_suffix(":memory:", "-gw0") == ":memory:" and with_suffix("x.db", "") == "x.db"
    src = tmp_path / "src"
    src.mkdir()
    (src / "profiles.yml").write_text("""
p:
  outputs:
    duck: {type: duckdb, path: /abs/sim.duckdb}
    templ: {type: duckdb, path: "{{ env_var('X', 'y.duckdb') }}"}
    pg: {type: postgres, schema: "{{ env_var('S', 'planalign') }}"}
    noschema: {type: postgres}
""")
    assert write_cwd_free_profiles(src, tmp_path, tmp_path / "out", "-gw1")
    outputs = yaml.safe_load((tmp_path / "out" / "profiles.yml").read_text())["p"]["outputs"]
    assert outputs["duck"]["path"] == "/abs/sim-gw1.duckdb"
    assert outputs["pg"]["schema"] == "{{ env_var('S', 'planalign') }}_gw1"
    assert "noschema" in outputs and "schema" not in outputs["noschema"]
    templ = outputs["templ"]["path"]
    assert "'-gw1.' ~ _planalign_path.rpartition('.')[2]" in templ and "~ '-gw1'" in templ


def test_private_profile_copies_are_removed(tmp_path, monkeypatch) -> None:
    import gc
    import tempfile

    from pytest_planalign_dbt import DbtRunner

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    project = tmp_path / "p"
    project.mkdir()
    (project / "dbt_project.yml").write_text("name: p\nprofile: p\n")
    (project / "profiles.yml").write_text("p:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: p.duckdb}\n")
    runner = DbtRunner(project)
    copy = runner.dbt_profiles_dir()
    assert copy is not None and copy.parent == tmp_path / "tmp" and (copy / "profiles.yml").is_file()
    runner.close()
    assert not copy.exists()
    other = DbtRunner(project)
    second = other.dbt_profiles_dir()
    assert second is not None and second.exists()
    del other
    gc.collect()
    assert not second.exists() and list((tmp_path / "tmp").iterdir()) == []
