"""The house rules, checked: small modules, simple functions, a pytest-free core, no import cycle."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest
from radon.complexity import cc_visit

PACKAGE = Path(__file__).parents[2] / "pytest_planalign_dbt"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 400
MAX_COMPLEXITY = 15


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


ALL_NAMES = {_name(p) for p in MODULES}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def _from_base(node: ast.ImportFrom, package: str) -> str:
    """The absolute module a ``from ... import`` in ``package`` reads from."""
    base = node.module or ""
    if not node.level:
        return base
    parts = package.split(".")
    return ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])


def _module_level_imports(path: Path, *, everywhere: bool = False) -> set[str]:
    """What a module imports when it is imported: not inside functions, not under TYPE_CHECKING
    (``everywhere``: those too, the imports a type checker follows)."""
    package = _name(path) if path.name == "__init__.py" else _name(path).rpartition(".")[0]
    found: set[str] = set()

    def add(node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(node, package)
            submodules = {f"{base}.{a.name}" for a in node.names} & ALL_NAMES
            found.update(submodules)
            if len(submodules) < len(node.names):  # a name defined in the module ``base``
                found.add(base)

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, (ast.If, ast.Try, ast.With)):
                visit([*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", []),
                       *(s for h in getattr(node, "handlers", []) for s in h.body)])
            else:
                add(node)

    tree = _tree(path)
    if everywhere:
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                add(node)
    else:
        visit(tree.body)
    return found


def test_no_module_is_longer_than_the_house_allows() -> None:
    long = {_name(p): n for p in MODULES if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}, f"split these modules (at most {MAX_LINES} lines): {long}"


def _blocks(path: Path) -> list:
    """Every function and method of a module as radon counts its cyclomatic complexity (each
    boolean operator, comprehension and branch counted), classes opened into their methods."""
    out = []
    for block in cc_visit(path.read_text()):
        out += [block, *getattr(block, "methods", [])] if hasattr(block, "methods") else [block]
    return out


def test_no_function_is_more_complex_than_the_house_allows() -> None:
    complex_ = [f"{_name(path)}:{b.lineno} {b.fullname} ({b.complexity})"
                for path in MODULES for b in _blocks(path)
                if b.complexity > MAX_COMPLEXITY and not hasattr(b, "methods")]
    assert complex_ == []


def test_the_complexity_count_includes_boolean_operators() -> None:
    """The house counts as radon does: `a and b` is a branch (mccabe did not count it)."""
    ands = "def f(a, b, c, d):\n    return a and b and c or d\n"
    assert cc_visit(ands)[0].complexity == 4


def test_the_runner_core_never_imports_pytest() -> None:
    offenders = [_name(p) for p in MODULES if "pytest_planalign_dbt.runner" in _name(p)
                 and {m.split(".")[0] for m in _module_level_imports(p)} & {"pytest", "_pytest"}]
    assert offenders == []
    lazy = [_name(p) for p in MODULES if "pytest_planalign_dbt.runner" in _name(p)
            and any(isinstance(n, (ast.Import, ast.ImportFrom)) and "pytest" in ast.unparse(n)
                    for n in ast.walk(_tree(p)))]
    assert lazy == []


def _cycles(everywhere: bool) -> list[list[str]]:
    names = {_name(p): p for p in MODULES}
    edges = {name: {m for m in _module_level_imports(path, everywhere=everywhere) if m in names and m != name}
             for name, path in names.items()}
    # A package's __init__ importing its own modules is how packages work, not a cycle.
    for name in edges:
        edges[name] -= {m for m in edges[name] if name in edges.get(m, set()) and m.startswith(name + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in sorted(edges[name]):
            if state.get(dep) == 1:
                cycles.append([*trail[trail.index(dep):], dep] if dep in trail else [name, dep])
            elif dep not in state:
                walk(dep, [*trail, dep])
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            walk(name, [name])
    return cycles


def test_no_import_cycle_among_the_packages_modules() -> None:
    assert _cycles(everywhere=False) == []


def test_no_cycle_even_through_imports_for_types_or_inside_functions() -> None:
    # A cycle a type checker follows (TYPE_CHECKING) or one a lazy import hides is still two
    # modules that cannot be read apart.
    assert _cycles(everywhere=True) == []


@pytest.mark.parametrize("name", ["DbtRunner.__init__", "DbtRunner.execute_command", "DbtRunner.command_for",
                                  "DbtRunner.run_model", "DbtRunner.run_models"])
def test_the_runners_public_methods_say_their_arguments(name: str) -> None:
    from pytest_planalign_dbt import DbtRunner

    owner, _, method = name.partition(".")
    doc = (DbtRunner.__doc__ if method == "__init__" else getattr(DbtRunner, method).__doc__) or ""
    assert "Args:" in doc and "Raises:" in doc


def test_the_package_never_imports_pytests_internals() -> None:
    """pytest's public API only (``pytest.*``): ``_pytest`` moves between pytest releases."""
    offenders = [f"{_name(p)}:{n.lineno}" for p in MODULES for n in ast.walk(_tree(p))
                 if isinstance(n, (ast.Import, ast.ImportFrom))
                 and any((a.name if isinstance(n, ast.Import) else n.module or "").split(".")[0] == "_pytest"
                         for a in n.names)]
    assert offenders == []


def test_every_hook_implementation_says_what_it_does() -> None:
    missing = [f"{_name(p)}:{n.lineno} {n.name}" for p in MODULES for n in ast.walk(_tree(p))
               if isinstance(n, ast.FunctionDef) and n.name.startswith("pytest_") and not ast.get_docstring(n)]
    assert missing == []


def test_the_package_says_it_is_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()


CORE = "pytest_planalign_dbt.runner"


def _imported(path: Path, package: str) -> set[str]:
    """Every module or name ``path`` (a module of ``package``) imports, anywhere in it, as
    ``package.module[.name]``."""
    found: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(node, package)
            found.update(f"{base}.{a.name}" for a in node.names if a.name != "*")
    return found


def _crossings(path: Path, package: str) -> list[str]:
    """What ``path`` takes from inside the runner: a module in it, or a name its package does
    not export (one of its modules counts only when its ``__init__`` imports it by name)."""
    exported = {f"{CORE}.{name}" for name in vars(importlib.import_module(CORE)) if not name.startswith("_")}
    bound_by_init = {f"{CORE}.{a.asname or a.name}" for node in ast.walk(_tree(PACKAGE / "runner" / "__init__.py"))
                     if isinstance(node, ast.ImportFrom) for a in node.names}
    return sorted(name for name in _imported(path, package) if name.startswith(f"{CORE}.")
                  and (name not in exported or name in ALL_NAMES and name not in bound_by_init))


def test_the_plugin_crosses_into_the_runner_only_through_its_package() -> None:
    """The plugin and its session use what ``pytest_planalign_dbt.runner`` exports, never a
    module inside it: the runner's inside can move without the plugin knowing."""
    outside = [p for p in MODULES if not _name(p).startswith(CORE)]
    crossing = {_name(p): _crossings(p, _name(p) if p.name == "__init__.py" else _name(p).rpartition(".")[0])
                for p in outside}
    assert {m: names for m, names in crossing.items() if names} == {}


def test_the_seam_check_sees_a_module_inside_the_runner(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from ..runner.files import atomic_write\nfrom ..runner import shorten, dbt_internals\n"
                     "def later():\n    from ..runner import layout\n")
    assert _crossings(probe, "pytest_planalign_dbt.session") == [
        "pytest_planalign_dbt.runner.dbt_internals", "pytest_planalign_dbt.runner.files.atomic_write",
        "pytest_planalign_dbt.runner.layout"]


ENGINE_WORDS = re.compile(r"duckdb|spark|postgres|redshift|snowflake|bigquery|databricks|trino|clickhouse", re.I)


def _engine_names_in_code(path: Path) -> list[str]:
    """Engine names a module's code uses: a string that is one (``type == "duckdb"``), an
    identifier or attribute with one (``spark.is_session``). Prose (messages, docs) may name them."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ENGINE_WORDS.fullmatch(
                node.value.strip(".").split(".")[0]):
            found.append(repr(node.value))
        elif isinstance(node, ast.Name) and ENGINE_WORDS.search(node.id):
            found.append(node.id)
        elif isinstance(node, ast.Attribute) and ENGINE_WORDS.search(node.attr):
            found.append(node.attr)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found += [a.name for a in node.names if ENGINE_WORDS.search(a.name)]
            found += [node.module] if isinstance(node, ast.ImportFrom) and ENGINE_WORDS.search(node.module or "") else []
    return found


def test_only_the_adapters_room_names_an_engine() -> None:
    """An engine is one module in runner/adapters/ plus its tests: no ``if spark`` elsewhere."""
    room = PACKAGE / "runner" / "adapters"
    named = {_name(p): names for p in MODULES if room not in p.parents and (names := _engine_names_in_code(p))}
    assert named == {}


def test_the_engine_check_sees_an_engine_named_in_code(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text('"""Mentions DuckDB in prose."""\nfrom .adapters import spark\n'
                     'def f(o):\n    """On Spark too."""\n    return o.get("type") == "duckdb" or spark.is_session(o)\n'
                     'SKIP = (".duckdb", ".wal")\nSAY = "a DuckDB lock"\n')
    assert sorted(_engine_names_in_code(probe)) == ["'.duckdb'", "'duckdb'", "spark", "spark"]


# Inside the runner, arrows point down: the façade (runner.py, compat.py) and the executors use
# parse/, failures/ and adapters/, never the other way; adapters/ stands on its own.
BELOW = {
    "pytest_planalign_dbt.runner.parse": ("runner.executors", "runner.runner", "runner.compat"),
    "pytest_planalign_dbt.runner.failures": ("runner.executors", "runner.runner", "runner.compat", "runner.parse"),
    "pytest_planalign_dbt.runner.adapters": ("runner.",),
    # The runner's parts reach it through parts.Calls, never by importing it.
    **{f"pytest_planalign_dbt.runner.{part}": ("runner.runner", "runner.compat")
       for part in ("parts", "reading", "macros", "model_runs")},
}


def test_arrows_inside_the_runner_point_down() -> None:
    upward = {}
    for p in MODULES:
        name = _name(p)
        package = name if p.name == "__init__.py" else name.rpartition(".")[0]
        for low, above in BELOW.items():
            if name == low or name.startswith(low + "."):
                up = sorted(i for i in _imported(p, package) if i.startswith("pytest_planalign_dbt.")
                            and not i.startswith(low) and any(f"pytest_planalign_dbt.{a}" in i for a in above))
                if up:
                    upward[name] = up
    assert upward == {}


def _stubs(path: Path) -> list[str]:
    """Methods whose whole body (after a docstring) is ``raise NotImplementedError``."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            if len(body) == 1 and isinstance(body[0], ast.Raise) and "NotImplementedError" in ast.unparse(body[0]):
                found.append(f"{path.stem}.{node.name}")
    return found


def test_the_runner_is_made_of_parts_not_of_stub_mixins(tmp_path: Path) -> None:
    from pytest_planalign_dbt import DbtRunner
    from pytest_planalign_dbt.runner.macros import Macros
    from pytest_planalign_dbt.runner.model_runs import ModelRuns
    from pytest_planalign_dbt.runner.reading import Reader

    assert [s for p in MODULES for s in _stubs(p)] == []
    probe = tmp_path / "probe.py"
    probe.write_text('class M:\n    def show(self):\n        """Rows."""\n        raise NotImplementedError\n')
    assert _stubs(probe) == ["probe.show"]
    assert DbtRunner.__bases__ == (object,)
    for part in (Reader, Macros, ModelRuns):  # the runner's method is the part's: signature and docstring
        for name in (n for n in vars(part) if not n.startswith("_")):
            mine, theirs = getattr(DbtRunner, name), getattr(part, name)
            assert (inspect.signature(mine), mine.__doc__) == (inspect.signature(theirs), theirs.__doc__)


def test_every_public_name_says_what_it_is_in_one_line() -> None:
    import pytest_planalign_dbt as package

    unsaid = []
    for name in package.__all__:
        if name == "__version__":
            continue
        doc = (getattr(package, name).__doc__ or "").strip()
        if not doc or len(doc.splitlines()[0]) > 110 or doc.splitlines()[0][-1] not in ".:)":
            unsaid.append(name)
    assert unsaid == []
    assert {"BoundDbt", "DbtRegression", "DbtScenario", "DbtSettings"} <= set(package.__all__)


def test_importing_the_package_for_the_runner_leaves_pytest_unloaded() -> None:
    # A script or an orchestrator imports the runner; the fixtures' types load only when named.
    code = ("import sys, pytest_planalign_dbt as p; assert 'pytest' not in sys.modules, 'pytest loaded'; "
            "p.BoundDbt; assert 'pytest' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
