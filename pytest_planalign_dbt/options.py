"""The ``--dbt-*`` options, their ini twins and env vars -> one frozen DbtSettings.

Precedence: command line > env var > ini > default. Command-line defaults are
None (as in pytest's own logging options) so "not given" is distinguishable
from "given the default", and each resolved value remembers where it came from.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from . import discovery, values
from .selection import Selection
from .runner import DbtCommandError, SECRET_NAME, parse_vars_text, shorten, vars_json

METAVARS = {
    "path": "DIR", "str": "NAME", "selectors": "SELECTORS", "vars": "VARS", "int": "YEAR",
    "threads": "N", "retries": "N", "seconds": "SECONDS", "delay": "SECONDS",
    "executor": "{inprocess,subprocess}", "coverage_by": "{model,folder}", "fail_under": "PCT",
    "reports": "FORMAT:PATH",
}


@dataclass(frozen=True)
class Opt:
    """One setting: its flag, ini name, env var (dbt's own where dbt has one) and kind."""

    dest: str
    kind: str  # path | str | selectors | vars | int | threads | retries | seconds | bool | executor
    help: str
    env: str | None = None
    default: Any = None

    @property
    def flag(self) -> str:
        return "--dbt-" + self.dest.replace("_", "-")

    @property
    def ini(self) -> str:
        return "dbt_" + self.dest


OPTIONS = (
    Opt("project_dir", "path", "dbt project directory (holds dbt_project.yml).", "DBT_PROJECT_DIR"),
    Opt("profiles_dir", "path",
        "directory with profiles.yml (default: the project dir when it holds one, else ~/.dbt).",
        "DBT_PROFILES_DIR"),
    Opt("target", "str", "dbt target from profiles.yml (default: the profile's own).", "DBT_TARGET"),
    Opt("select", "selectors",
        "collect these dbt nodes as test items, in dbt's selector syntax, e.g. 'int_*' or "
        "'tag:nightly +fct_x'. Without one, path arguments in the project's node folders select "
        "what they hold (pytest models/staging)."),
    Opt("exclude", "selectors", "dbt nodes to leave out of the selection (dbt's syntax)."),
    Opt("selector", "str", "a named selector from selectors.yml."),
    Opt("vars", "vars", "dbt vars as a JSON or YAML mapping, e.g. '{simulation_year: 2026}'."),
    Opt("simulation_year", "int", "shorthand for the simulation_year var (vars win over it)."),
    Opt("threads", "threads", "dbt threads (default: the profile's).", "DBT_THREADS"),
    Opt("full_refresh", "bool", "rebuild incremental models from scratch.", "DBT_FULL_REFRESH",
        default=False),
    Opt("retries", "retries", "retries of transient failures (DuckDB lock, dropped connection).",
        default=2),
    Opt("retry_delay", "delay", "first backoff before a retry, in seconds (doubles each time).",
        default=1.0),
    Opt("lock_wait", "delay",
        "seconds to keep retrying a DuckDB file another process holds (e.g. another session's build), "
        "past --dbt-retries.", default=120.0),
    Opt("timeout", "seconds", "cancel a dbt invocation after this many seconds."),
    Opt("executor", "executor", "run dbt 'inprocess' (fast, the parse reused) or as a 'subprocess'.",
        default="inprocess"),
    Opt("stream", "bool", "print dbt's lines in the terminal as dbt writes them.", default=False),
    Opt("changed", "bool",
        "Slim CI: collect only the selected nodes changed since the last green run (dbt's "
        "state:modified+, against the manifest kept in pytest's cache).", default=False),
    Opt("state", "path",
        "Slim CI against your own reference: a dir with a dbt manifest.json (e.g. production's "
        "artifacts); collect only the selected nodes changed since it (state:modified+)."),
    Opt("regen", "bool",
        "rewrite the golden files of the dbt_regression checks that run (review the diff, then "
        "commit it).", default=False),
    Opt("coverage", "bool", "after the run, a table of the selected models' dbt test coverage "
        "(models, columns, keys, unit tests, docs).", default=False),
    Opt("coverage_by", "coverage_by", "one row per 'model' (default) or per 'folder'.", default="model"),
    Opt("coverage_fail_under", "fail_under",
        "fail the session when a coverage measure is under its percent: '80' (columns) or "
        "'columns=80,models=100,primary_keys=50,documented=20'."),
    Opt("coverage_report", "reports", "write the coverage report too: 'json:PATH', 'markdown:PATH' "
        "(space-separated for both).", default=()),
    Opt("defer", "bool",
        "with --dbt-state or --dbt-changed: read parents that are not built from the reference "
        "environment (dbt's --defer).", default=False),
)


@dataclass(frozen=True)
class DbtSettings:
    """The resolved dbt settings of a pytest session, and where each one came from."""

    project_dir: Path | None = None
    profiles_dir: Path | None = None
    target: str | None = None
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    selector: str | None = None
    vars: Mapping[str, Any] = field(default_factory=dict)
    simulation_year: int | None = None
    threads: int | None = None
    full_refresh: bool = False
    retries: int = 2
    retry_delay: float = 1.0
    lock_wait: float = 120.0
    timeout: float | None = None
    executor: str = "inprocess"
    stream: bool = False
    changed: bool = False
    state: Path | None = None
    defer: bool = False
    regen: bool = False
    coverage: bool = False
    coverage_by: str = "model"
    coverage_fail_under: str | None = None
    coverage_report: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def slim(self) -> bool:
        """True when only changed nodes are collected (--dbt-changed or --dbt-state)."""
        return self.changed or self.state is not None

    @property
    def covers(self) -> bool:
        """True when the session measures dbt test coverage (any --dbt-coverage* option)."""
        return self.coverage or bool(self.coverage_fail_under) or bool(self.coverage_report)

    @property
    def selection(self) -> Selection:
        """The selection as one value (its dbt flags, its cache key, its spelling)."""
        return Selection(self.select, self.exclude, self.selector)

    @property
    def collects(self) -> bool:
        """True when the session collects dbt nodes as items."""
        return bool(self.selection)

    def merged_vars(self, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        if self.simulation_year is not None:
            merged["simulation_year"] = self.simulation_year
        merged.update(self.vars)
        merged.update(extra or {})
        return merged

    def to_json(self) -> dict[str, Any]:
        """Plain values, for xdist's workerinput."""
        out: dict[str, Any] = {}
        for opt in OPTIONS:
            value = getattr(self, opt.dest)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                # As text: YAML dates are not plain values for xdist's channel.
                value = vars_json(value)
            out[opt.dest] = value
        out["sources"] = dict(self.sources)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DbtSettings:
        kwargs = dict(data)
        for key in ("project_dir", "profiles_dir", "state"):
            if kwargs.get(key) is not None:
                kwargs[key] = Path(kwargs[key])
        for key in ("select", "exclude", "coverage_report"):
            kwargs[key] = tuple(kwargs.get(key) or ())
        if isinstance(kwargs.get("vars"), str):
            kwargs["vars"] = parse_vars_text(kwargs["vars"])
        return cls(**kwargs)


SETTINGS_KEY: pytest.StashKey[DbtSettings] = pytest.StashKey()
# The source of a selection made from path arguments inside the project (discovery.py).
PATH_ARGUMENTS = "path arguments"
# dbt's own flags, as the runner's messages name them -> the option a pytest user types.
DBT_FLAG = re.compile(r"(?<![\w-])--(select|selector|exclude|vars|target|threads|profiles-dir|project-dir"
                      r"|full-refresh|state|defer)(?![\w-])")


def in_our_words(text: str) -> str:
    """A runner message for a pytest user: dbt's ``--select`` is our ``--dbt-select``, and so on."""
    return DBT_FLAG.sub(lambda m: "--dbt-" + m.group(1), text)


def add_options(parser: pytest.Parser) -> None:
    """Register every option in one "dbt" group, each with its ini twin."""
    group = parser.getgroup("dbt", "dbt projects as tests (pytest-planalign-dbt)")
    for opt in OPTIONS:
        env = f" [env {opt.env}]" if opt.env else ""
        if opt.kind == "bool":
            group.addoption(opt.flag, dest="dbt_" + opt.dest, action="store_true", default=None,
                            help=opt.help + env + f" [ini {opt.ini}]")
        else:
            group.addoption(opt.flag, dest="dbt_" + opt.dest, default=None, metavar=METAVARS[opt.kind],
                            help=opt.help + env + f" [ini {opt.ini}]")
        parser.addini(opt.ini, opt.help, default=None)


def _converter(opt: Opt, base: Path, project_dir: Path | None) -> Callable[[str], Any]:
    if opt.kind == "path":
        return functools.partial(values.path, base=base)
    if opt.kind == "vars":  # its example is made of the project's own vars
        return functools.partial(values.vars_mapping, example=discovery.vars_example(project_dir))
    return values.CONVERTERS[opt.kind]


def _raw_values(config: pytest.Config, opt: Opt, environ: Mapping[str, str]) -> tuple[Any, str, Path]:
    """The winning raw value, its source, and the dir relative paths resolve against."""
    invocation_dir = Path(config.invocation_params.dir)
    cli = config.getoption("dbt_" + opt.dest)
    if cli is not None:
        return (cli if opt.kind != "bool" else "true"), "command line", invocation_dir
    if opt.env and environ.get(opt.env, "") != "":
        return environ[opt.env], f"env {opt.env}", invocation_dir
    ini = config.getini(opt.ini)
    if ini not in (None, "", []):
        base = config.inipath.parent if config.inipath else config.rootpath
        return ini, f"ini {opt.ini}", base
    return None, "default", invocation_dir


def resolve_settings(config: pytest.Config, environ: Mapping[str, str] | None = None) -> DbtSettings:
    """Read and validate every dbt setting; a bad one is a one-line pytest.UsageError."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    project = OPTIONS[0]
    values["project_dir"], sources["project_dir"] = _resolve(config, project, environ, None)
    if values["project_dir"] is None:
        values["project_dir"], sources["project_dir"] = _found_project(config)
    for opt in OPTIONS[1:]:
        values[opt.dest], sources[opt.dest] = _resolve(config, opt, environ, values["project_dir"])
    values["vars"] = values["vars"] or {}
    values["select"] = values["select"] or ()
    values["exclude"] = values["exclude"] or ()
    _check_dirs(values, sources)
    _check_slim(values, sources)
    if (values["select"] or values["selector"]) and values["project_dir"] is None:
        raise pytest.UsageError(
            "--dbt-select needs a dbt project: pass --dbt-project-dir (or set dbt_project_dir in "
            "your ini file)"
        )
    if values["project_dir"] is not None and not (values["select"] or values["selector"]):
        values["select"] = discovery.path_selection(values["project_dir"], discovery.path_arguments(config))
        sources["select"] = PATH_ARGUMENTS if values["select"] else sources["select"]
    return DbtSettings(**values, sources=sources)


def _found_project(config: pytest.Config) -> tuple[Path | None, str]:
    """No --dbt-project-dir: the rootdir when it is a dbt project, else the nearest one above a
    path argument or the dir pytest was started in (discovery.py)."""
    if (config.rootpath / "dbt_project.yml").is_file():
        return config.rootpath, "rootdir"
    found = discovery.project_above(discovery.search_paths(config))
    return (found, "found above the paths") if found is not None else (None, "default")


def _resolve(config: pytest.Config, opt: Opt, environ: Mapping[str, str],
             project_dir: Path | None) -> tuple[Any, str]:
    """One setting's value and where it came from."""
    raw, source, base = _raw_values(config, opt, environ)
    if raw is None:
        return opt.default, "default"
    try:
        return _converter(opt, base, project_dir)(str(raw)), source
    except (ValueError, DbtCommandError) as exc:
        raise pytest.UsageError(in_our_words(f"{opt.flag} ({source}): {shorten(str(exc), 400)}")) from None


def _check_dirs(values: dict[str, Any], sources: Mapping[str, str]) -> None:
    """The project dir must hold dbt_project.yml, a profiles dir profiles.yml (made absolute)."""
    project = values["project_dir"]
    if project is not None:
        where = f"--dbt-project-dir ({sources['project_dir']})"
        if project.name == "dbt_project.yml" and project.is_file():
            project = project.parent  # the file named: its directory meant
        if not project.is_dir():
            raise pytest.UsageError(
                f"{where}: {project} does not exist; point it at the directory that holds dbt_project.yml"
            )
        if not (project / "dbt_project.yml").is_file():
            raise pytest.UsageError(
                f"{where}: no dbt_project.yml in {project}; point it at the directory that holds dbt_project.yml"
            )
        values["project_dir"] = project.resolve()
    profiles = values["profiles_dir"]
    if profiles is not None and profiles.name == "profiles.yml" and profiles.is_file():
        profiles = values["profiles_dir"] = profiles.parent
    if profiles is not None and not (profiles / "profiles.yml").is_file():
        raise pytest.UsageError(
            f"--dbt-profiles-dir ({sources['profiles_dir']}): no profiles.yml in {profiles}; "
            "point it at the directory with your profiles.yml"
        )


def _check_slim(values: dict[str, Any], sources: Mapping[str, str]) -> None:
    """--dbt-state holds a manifest.json; --dbt-defer needs a reference; one reference at a time."""
    state = values["state"]
    if state is not None:
        where = f"--dbt-state ({sources['state']})"
        if not (state / "manifest.json").is_file():
            what = "does not exist" if not state.is_dir() else "holds no manifest.json"
            raise pytest.UsageError(
                f"{where}: {state} {what}; point it at the dbt artifacts dir (target/) of the "
                "reference run, the one with its manifest.json"
            )
        values["state"] = state.resolve()
        if values["changed"]:
            raise pytest.UsageError(
                "--dbt-changed and --dbt-state: use one reference; --dbt-changed compares with the "
                "last green run kept in pytest's cache, --dbt-state with the manifest you give"
            )
    if values["defer"] and not (values["changed"] or state is not None):
        raise pytest.UsageError(
            "--dbt-defer needs a reference to defer to: add --dbt-state DIR (or --dbt-changed)"
        )
    if (values["changed"] or state is not None) and not (values["select"] or values["selector"]):
        raise pytest.UsageError(
            f"{'--dbt-changed' if values['changed'] else '--dbt-state'} narrows a selection: add "
            "--dbt-select (e.g. '*' for every node)"
        )


def describe(settings: DbtSettings, max_vars: int | None = None) -> list[str]:
    """``name=value (source)`` for each setting that is not at its default.

    Vars are summarised past ``max_vars`` (a real project passes 100+): their count, and
    the first few names; ``None`` lists them all.
    """
    out = []
    for opt in OPTIONS:
        source = settings.sources.get(opt.dest, "default")
        if source == "default":
            continue
        value = getattr(settings, opt.dest)
        if isinstance(value, tuple):
            value = " ".join(value)
        elif isinstance(value, Mapping):
            shown = {k: ("****" if SECRET_NAME.search(str(k)) else v) for k, v in value.items()}
            if max_vars is not None and len(shown) > max_vars:
                names = ", ".join(list(shown)[:max_vars])
                value = f"{len(shown)} vars ({names}, ...; -v lists them)"
            else:
                value = shown
        out.append(f"{opt.dest}={value} ({source})")
    return out


def check_rootdir(config: pytest.Config, settings: DbtSettings) -> None:
    """Refuse the one spelling that lets pytest pick the dbt project as its rootdir.

    pytest chooses its rootdir (and ini file) before plugins add their options, so in
    ``--dbt-project-dir P`` (with a space) it takes ``P`` for a test path: the rootdir
    becomes ``P`` or its repository, whose ini file then applies, and every id changes.
    """
    args = list(config.invocation_params.args)
    flag = "--dbt-project-dir"
    if flag not in args or args.index(flag) + 1 >= len(args) or settings.project_dir is None:
        return
    value = args[args.index(flag) + 1]
    invocation = Path(config.invocation_params.dir).resolve()
    project = settings.project_dir
    positional = {Path(os.path.abspath(a.split("::")[0])).resolve() for a in config.args}
    if project in positional or invocation == project or project in invocation.parents:
        return  # the project is a test path anyway, or pytest runs inside it
    root = config.rootpath.resolve()
    # The rootdir pytest would have chosen lies on the path of the invocation dir or of a
    # real path argument; one that only the project dir explains came from the mistake.
    explained = [invocation, *positional]
    if root == project or project in root.parents or not any(
        root == p or root in p.parents for p in explained
    ):
        raise pytest.UsageError(
            f"{flag} {value}: pytest took {value} for a test path when it chose its rootdir "
            f"({root}); write {flag}={value} (with '='), or set dbt_project_dir in your ini file"
        )
