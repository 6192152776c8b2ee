"""A full disk is a red run: target/ on a 1 MiB tmpfs, for real (mount needs root, as CI has)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_planalign_dbt import DbtRunner
from pytest_planalign_dbt.runner.files import WriteFailed

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def tiny_disk(path: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (skips where mounting is not allowed)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "n2"])
def test_a_full_target_dir_fails_the_session_with_one_line(dbt_project, run, workers) -> None:
    project = dbt_project("example_project")
    with tiny_disk(project / "target"):
        result = run("--dbt-project-dir=example_project", "--dbt-select=*", "-p", "no:randomly", *workers)
        listing = sorted(p.name for p in (project / "target").iterdir())
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["dbt: the session fails: could not write */target/manifest.json: No space left "
                                 "on device (* MiB free there); free space on that disk, *"])
    assert "manifest.json" not in listing and "run_results.json" not in listing  # nothing torn
    assert not [name for name in listing if name.startswith(".planalign")]  # no staging left


def test_the_runner_raises_a_write_failure_naming_the_path(copy_project) -> None:
    project = copy_project("example_project")
    with tiny_disk(project / "target"):
        runner = DbtRunner(project, threads=1)
        with pytest.raises(WriteFailed, match=r"could not write .*target/manifest.json: No space left on device"):
            runner.execute_command(["build", "--select", "stg_census+"], stream_output=False)
        assert not (project / "target" / "manifest.json").exists()
