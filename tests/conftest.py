"""Shared fixtures: copies of the test dbt projects, a DuckDB lock holder, pytester helpers."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

# The importlib_metadata backport (imported by a dbt dependency) removes the standard
# library's distribution finder from PathFinder and puts its own on sys.meta_path. Imported
# during an inline pytester run, its finder would be dropped when pytester restores
# sys.meta_path, and no later run would find any pytest11 entry point (our plugin included).
with contextlib.suppress(ImportError):
    import importlib_metadata  # noqa: F401
import pytest
from _pytest.pytester import SysModulesSnapshot

from tests.helpers.verdicts import copy_project as copy_with_packages

TESTS = Path(__file__).parent
PROJECTS = TESTS / "projects"
EXAMPLE_PROJECT = TESTS.parent / "example_project"
HOLD_LOCK = TESTS / "helpers" / "hold_lock.py"


def project_source(name: str) -> Path:
    """tests/projects/<name>, or example_project."""
    return EXAMPLE_PROJECT if name == "example_project" else PROJECTS / name


@pytest.fixture
def copy_project(tmp_path: Path) -> Callable[[str], Path]:
    """Copy tests/projects/<name> (or "example_project") into a fresh tmp dir, its packages
    installed (tests.helpers.verdicts.copy_project)."""
    return lambda name: copy_with_packages(project_source(name), tmp_path)


class LockHolder:
    """A real second process holding a DuckDB file's write lock."""

    def __init__(self, db_path: Path, seconds: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HOLD_LOCK), str(db_path), str(seconds)],
            stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == "locked", f"lock holder failed to start: {line!r}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def hold_lock() -> Iterator[Callable[[Path, float], LockHolder]]:
    """Start a process that holds a DuckDB file for ``seconds``; always stopped after the test."""
    holders: list[LockHolder] = []

    def start(db_path: Path, seconds: float) -> LockHolder:
        holder = LockHolder(db_path, seconds)
        holders.append(holder)
        return holder

    yield start
    for holder in holders:
        holder.stop()


def duckdb_is_free(db_path: Path) -> bool:
    """True when another process can open ``db_path`` for writing right now."""
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    return subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True).returncode == 0

@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A directory every xdist worker of this test run sees (what one worker made, others read)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if worker_id != "master" else base) / "shared"


@pytest.fixture
def dbt_project(pytester: pytest.Pytester) -> Callable[[str], Path]:
    """Copy a test project into the pytester dir (so node ids read <name>/models/...)."""
    pytester.makeini("[pytest]\n")  # the pytester dir is the rootdir
    return lambda name: copy_with_packages(project_source(name), pytester.path)


@pytest.fixture(scope="session", autouse=True)
def _dbt_runs_untraced() -> Iterator[None]:
    """Under coverage, dbt's own code runs untraced, here and in every pytest the tests start
    (tests/helpers/untraced_dbt.py)."""
    if sys.gettrace() is None:
        yield
        return
    from tests.helpers import untraced_dbt

    untraced_dbt.install()
    patch = pytest.MonkeyPatch()
    plugins = [p for p in os.environ.get("PYTEST_PLUGINS", "").split(",") if p]
    patch.setenv("PYTEST_PLUGINS", ",".join([*plugins, "tests.helpers.untraced_dbt"]))
    root = str(TESTS.parent)  # where the children import tests.helpers from
    patch.setenv("PYTHONPATH", os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    yield
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def _keep_library_modules(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """pytester restores sys.modules after each inline run and each test, dropping what was
    imported meanwhile, so that a test file it wrote is imported afresh next time. Dropping
    library modules too (dbt's, DuckDB's, ours) would make the next run import a second copy
    beside the first: a second adapter registry, and a crash for DuckDB's extension module.
    Here only the modules written under the tests' temp dirs are dropped."""
    temp = str(tmp_path_factory.getbasetemp())
    restore = SysModulesSnapshot.restore

    def restore_keeping_libraries(self: SysModulesSnapshot) -> None:
        kept = {name: module for name, module in sys.modules.items()
                if not (getattr(module, "__file__", None) or temp).startswith(temp)}
        restore(self)
        sys.modules.update(kept)

    patch = pytest.MonkeyPatch()
    patch.setattr(SysModulesSnapshot, "restore", restore_keeping_libraries)
    yield
    patch.undo()


# Reporting plugins the dev extra installs for the tests that use them (pytest-html, its
# pytest-metadata, the GitHub annotations): kept out of every other pytest the tests start, as a
# user without them runs it. A test that needs them says so with @pytest.mark.reporting_plugins.
NO_REPORTING_PLUGINS = ("-p", "no:html", "-p", "no:metadata", "-p", "no:github-actions-annotate-failures")


def _plugin_args(request: pytest.FixtureRequest) -> tuple[str, ...]:
    return () if request.node.get_closest_marker("reporting_plugins") else NO_REPORTING_PLUGINS


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest) -> Callable[..., pytest.RunResult]:
    """pytest with the plugin, in this process (no new interpreter, dbt already imported),
    with a clean dbt env. The plugin's in-process runners reset dbt's process-global state
    before each invocation, as they do between calls in one user session."""
    for name in ("DBT_PROJECT_DIR", "DBT_PROFILES_DIR", "DBT_TARGET", "DBT_THREADS", "DBT_FULL_REFRESH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "120")
    plugins = _plugin_args(request)

    def go(*args: str) -> pytest.RunResult:
        return pytester.runpytest_inprocess("-p", "no:randomly", *plugins, *args)

    return go


@pytest.fixture
def run_subprocess(run: Callable[..., pytest.RunResult], pytester: pytest.Pytester) -> Callable[..., pytest.RunResult]:
    """pytest in a new interpreter: for what only a fresh process shows (signals, imports);
    ``run`` is requested for the clean dbt env it sets up."""

    def go(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess("-p", "no:randomly", *NO_REPORTING_PLUGINS, *args)

    return go


# The longest single tests (each runs pytest on two workers of its own) start first, so that
# no worker is left running one of them alone at the end.
LONGEST_FIRST = ("test_scenario_matrix", "-n2", "n2-")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first; and a module whose tests share a module-scoped build must say so with
    ``pytest.mark.xdist_group`` (one worker runs the module, the build is made once; see
    pytest_xdist_make_scheduler), or collection stops: without it each worker would build
    again, silently."""
    items.sort(key=lambda item: not any(mark in item.nodeid for mark in LONGEST_FIRST))
    modules = {item.module for item in items if isinstance(item, pytest.Function)}
    ungrouped = sorted(m.__name__ for m in modules if 'scope="module"' in inspect.getsource(m)
                       and not any(mark.name == "xdist_group" for mark in _marks(m)))
    if ungrouped:
        raise pytest.UsageError(f"add pytest.mark.xdist_group(...) to the pytestmark of {', '.join(ungrouped)}: "
                                "its tests share a module-scoped build")


def _marks(module: object) -> list[pytest.Mark]:
    marks = getattr(module, "pytestmark", [])
    return [m.mark if isinstance(m, pytest.MarkDecorator) else m
            for m in (marks if isinstance(marks, list) else [marks])]


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """xdist's load scheduling, but a module marked ``xdist_group`` goes to one worker whole.

    ``--dist loadgroup`` would do this, but it groups by rewriting node ids, which pytest 9.2
    no longer honours (pytest-dev/pytest-xdist#1386: tests are spread silently). The
    controller never collects, so the mark is read from the module's own text.
    """
    from xdist.scheduler import LoadScopeScheduling

    @functools.cache
    def grouped(module: str) -> bool:
        path = config.rootpath / module
        return path.suffix == ".py" and "pytest.mark.xdist_group(" in path.read_text()

    class GroupedModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if grouped(module) else nodeid

    return GroupedModules(config, log)
