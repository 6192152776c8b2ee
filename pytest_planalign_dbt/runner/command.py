"""Pure command building: arguments + vars + settings -> a validated dbt argv.

Nothing here touches the disk or starts dbt, so every bad input is refused
before anything runs, with a message that says what to change.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from .failures.errors import DbtCommandError, DbtConfigError
from .layout import safe_load

# Subcommands whose first word is the whole command ("docs" and "source" take a second word).
SUBCOMMANDS = frozenset(
    {
        "build", "clean", "clone", "compile", "debug", "deps", "docs", "init", "list", "ls",
        "parse", "retry", "run", "run-operation", "seed", "show", "snapshot", "source", "test",
    }
)
# Subcommands that run nodes and report per-node results.
NODE_SUBCOMMANDS = frozenset(
    {"build", "clone", "compile", "retry", "run", "seed", "show", "snapshot", "test"}
)
THREADED_SUBCOMMANDS = NODE_SUBCOMMANDS | {"docs", "parse", "run-operation", "source"}
SELECTING_SUBCOMMANDS = NODE_SUBCOMMANDS - {"retry"} | {"list", "ls", "docs", "source"}
FULL_REFRESH_SUBCOMMANDS = frozenset({"build", "clone", "compile", "run", "seed", "show"})

SELECT_FLAGS = frozenset({"--select", "-s", "--models", "-m", "--model", "--exclude", "--selector"})
# dbt-core 1.12's experimental v2 parser (a subprocess that writes manifest.json only).
V2_PARSER_FLAGS = frozenset({"--use-v2-parser", "--v2-parser"})
V2_PARSER_ENV = "DBT_ENGINE_USE_V2_PARSER"
# Flags the runner owns: passing them in the arguments would silently fight its settings.
OWNED_FLAGS = {
    "--project-dir": "DbtRunner(working_dir=...)",
    "--profiles-dir": "DbtRunner(profiles_dir=...)",
    "--target": "DbtRunner(target=...)",
    "-t": "DbtRunner(target=...)",
}


@dataclass(frozen=True)
class DbtCommand:
    """A validated dbt invocation: the argv after ``dbt`` and what it was built from."""

    subcommand: str
    argv: tuple[str, ...]
    vars: Mapping[str, Any] = field(default_factory=dict)

    @property
    def runs_nodes(self) -> bool:
        return self.subcommand in NODE_SUBCOMMANDS

    def shell(self) -> str:
        return shlex.join(("dbt", *self.argv))


def _split_args(command_args: Sequence[str] | str) -> list[str]:
    if isinstance(command_args, str):
        args = shlex.split(command_args)
    elif isinstance(command_args, Sequence) and all(isinstance(a, str) for a in command_args):
        args = list(command_args)
    else:
        raise DbtCommandError(
            f"command_args must be a list of strings such as ['run', '--select', 'int_hires'], "
            f"got {command_args!r}"
        )
    if args and args[0] == "dbt":
        args = args[1:]
    if not args:
        raise DbtCommandError("command_args is empty: give a dbt subcommand, e.g. ['build']")
    if args[0] not in SUBCOMMANDS:
        raise DbtCommandError(
            f"unknown dbt subcommand {args[0]!r}: use one of {', '.join(sorted(SUBCOMMANDS))}"
        )
    return args


def validate_threads(threads: object, what: str = "threads") -> int:
    """An int >= 1, or a DbtCommandError naming the setting."""
    if isinstance(threads, bool) or not isinstance(threads, int):
        try:
            threads = int(str(threads))
        except ValueError:
            raise DbtCommandError(f"{what} must be a whole number >= 1, got {threads!r}") from None
    if threads < 1:
        raise DbtCommandError(f"{what} must be >= 1, got {threads}")
    return threads


def validate_timeout(timeout: float | None) -> float | None:
    """A timeout in seconds (> 0), or None for none."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0 \
            or timeout == float("inf"):  # nan compares false both ways
        raise DbtConfigError(f"timeout must be a number of seconds > 0 (or None), got {timeout!r}")
    return float(timeout)


def validate_simulation_year(year: object) -> int:
    """simulation_year must be an int (a bool or a float is refused)."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise DbtCommandError(
            f"simulation_year must be an int such as 2025, got {year!r} ({type(year).__name__})"
        )
    return year


def parse_vars_text(text: str, what: str = "--vars", example: str = '{"simulation_year": 2025}') -> dict[str, Any]:
    """Parse a YAML or JSON mapping, as dbt's ``--vars`` accepts (with its loader, libyaml's where
    PyYAML has it); ``example``: one to suggest."""
    try:
        value = safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0]
        raise DbtCommandError(
            f"{what} is not valid YAML/JSON ({first}): write a mapping such as '{example}'"
        ) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DbtCommandError(
            f"{what} must be a mapping such as '{example}', got {value!r}"
        )
    return value


def merge_vars(
    simulation_year: int | None = None,
    *layers: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """simulation_year first, then each layer merged over it (later wins)."""
    merged: dict[str, Any] = {}
    if simulation_year is not None:
        merged["simulation_year"] = validate_simulation_year(simulation_year)
    for layer in layers:
        if layer is None:
            continue
        if not isinstance(layer, Mapping):
            raise DbtCommandError(f"dbt_vars must be a mapping (dict), got {type(layer).__name__}")
        merged.update(layer)
    for key in merged:
        if not isinstance(key, str):
            raise DbtCommandError(f"dbt var names must be strings, got {key!r}")
    if "simulation_year" in merged and merged["simulation_year"] is not None:
        validate_simulation_year(merged["simulation_year"])
    return merged


def vars_json(variables: Mapping[str, Any]) -> str:
    """Serialise vars for ``--vars``; refuse what dbt could not read back, naming the var.

    JSON when the values allow it; dates and datetimes (which dbt's own YAML reading of
    ``--vars`` produces, e.g. ``{start: 2024-03-01}``) go as YAML, so dbt sees the same
    types it would from its own command line.
    """
    yaml_needed = False
    for key, value in variables.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            try:
                yaml.safe_dump(value, allow_unicode=True)
            except yaml.YAMLError:
                raise DbtCommandError(
                    f"dbt var {key!r} is not JSON- or YAML-serialisable ({exc}): pass str, int, "
                    "float, bool, None, dates, or lists/dicts of them"
                ) from None
            if isinstance(value, float):
                raise DbtCommandError(
                    f"dbt var {key!r} is {value!r}: NaN and infinity cannot be passed to dbt"
                ) from None
            yaml_needed = True
    if yaml_needed:
        return str(yaml.safe_dump(
            dict(sorted(variables.items())), default_flow_style=True, width=2**31, allow_unicode=True
        )).strip()
    # Characters as they are: escaped, one outside the BMP becomes a surrogate pair ("\ud83d\ude80"),
    # which dbt's YAML reading of --vars refuses.
    return json.dumps(dict(variables), sort_keys=True, allow_nan=False, ensure_ascii=False)


def _extract_vars(args: list[str]) -> tuple[list[str], dict[str, Any]]:
    """Pull any ``--vars`` out of the arguments so it can be merged with the runner's."""
    rest: list[str] = []
    found: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--vars" or arg.startswith("--vars="):
            if arg == "--vars":
                if i + 1 >= len(args):
                    raise DbtCommandError("--vars needs a value, e.g. --vars '{simulation_year: 2025}'")
                text, i = args[i + 1], i + 2
            else:
                text, i = arg.split("=", 1)[1], i + 1
            found.update(parse_vars_text(text))
            continue
        rest.append(arg)
        i += 1
    return rest, found


def _check_flags(args: list[str]) -> None:
    for i, arg in enumerate(args):
        name = arg.split("=", 1)[0]
        if name in OWNED_FLAGS:
            raise DbtCommandError(
                f"{name} is set by the runner: use {OWNED_FLAGS[name]} instead of passing it in "
                "command_args"
            )
        if name in SELECT_FLAGS:
            value = arg.split("=", 1)[1] if "=" in arg else (args[i + 1] if i + 1 < len(args) else "")
            if not value.strip() or value.startswith("-"):
                raise DbtCommandError(
                    f"{name} needs a non-empty selector, e.g. {name} 'int_*' (got {value!r})"
                )
        if name in V2_PARSER_FLAGS:
            raise DbtCommandError(
                f"{name}: the runner keeps and reuses dbt-core's own parse, which the v2 parser "
                "does not write (a reused parse costs a fraction of a v2 parse); drop the flag"
            )
        if name == "--threads":
            value = arg.split("=", 1)[1] if "=" in arg else (args[i + 1] if i + 1 < len(args) else "")
            validate_threads(value, "--threads")


def make_command(
    command_args: Sequence[str] | str,
    *,
    simulation_year: int | None = None,
    dbt_vars: Mapping[str, Any] | None = None,
    project_dir: str | None = None,
    profiles_dir: str | None = None,
    target: str | None = None,
    threads: int | None = None,
    full_refresh: bool = False,
    fail_fast: bool = False,
    target_path: str | None = None,
    log_path: str | None = None,
) -> DbtCommand:
    """Validate the inputs and build the argv; raises DbtCommandError on bad input."""
    args = _split_args(command_args)
    args, arg_vars = _extract_vars(args)
    _check_flags(args)
    subcommand = args[0]
    variables = merge_vars(simulation_year, arg_vars, dbt_vars)
    argv = [*args, *_location_flags(subcommand, project_dir, profiles_dir, target, target_path, log_path)]
    argv += _run_flags(subcommand, args, threads, full_refresh, fail_fast)
    if variables:
        argv += ["--vars", vars_json(variables)]
    return DbtCommand(subcommand=subcommand, argv=tuple(argv), vars=variables)


def _location_flags(
    subcommand: str, project_dir: str | None, profiles_dir: str | None, target: str | None,
    target_path: str | None, log_path: str | None,
) -> list[str]:
    """Where dbt finds the project and profile, and writes its artifacts and log."""
    flags: list[str] = []
    if project_dir is not None:
        flags += ["--project-dir", str(project_dir)]
    if profiles_dir is not None:
        flags += ["--profiles-dir", str(profiles_dir)]
    if target is not None:
        if not str(target).strip():
            raise DbtCommandError("target is empty: name a target from profiles.yml or leave it unset")
        flags += ["--target", str(target)]
    if target_path is not None and subcommand not in {"debug", "deps", "init"}:
        flags += ["--target-path", str(target_path)]
    if log_path is not None:
        flags += ["--log-path", str(log_path)]
    return flags


def _run_flags(
    subcommand: str, args: Sequence[str], threads: int | None, full_refresh: bool, fail_fast: bool
) -> list[str]:
    """Threads, full refresh and fail-fast, unless the arguments already say so."""
    flags: list[str] = []
    if threads is not None and subcommand in THREADED_SUBCOMMANDS and "--threads" not in args:
        flags += ["--threads", str(validate_threads(threads))]
    if full_refresh:
        if subcommand not in FULL_REFRESH_SUBCOMMANDS:
            raise DbtCommandError(f"full_refresh does not apply to 'dbt {subcommand}'")
        if "--full-refresh" not in args:
            flags.append("--full-refresh")
    if fail_fast and "--fail-fast" not in args and "-x" not in args:
        flags.append("--fail-fast")
    return flags


def replace_selection(argv: Sequence[str], selectors: Sequence[str]) -> tuple[str, ...]:
    """Drop every selection flag from argv and select exactly ``selectors`` instead."""
    out: list[str] = []
    skipping = False
    for arg in argv:
        name = arg.split("=", 1)[0]
        if name in SELECT_FLAGS:
            # dbt's selection flags take several space-separated values.
            skipping = "=" not in arg
            continue
        if skipping and not arg.startswith("-"):
            continue
        skipping = False
        out.append(arg)
    return (*out, "--select", *selectors)


# Subcommands whose task writes manifest.json when it ends (``GraphRunnableTask.run``, with
# --write-json): the parse before them need not write it too.
WRITES_MANIFEST_AT_END = frozenset({"build", "run", "test", "seed", "snapshot", "compile", "clone", "retry"})


def parse_command_for(command: DbtCommand, write_json: bool, **location: str | None) -> DbtCommand:
    """The ``dbt parse`` that gives ``command`` its manifest (same vars, same location flags).

    dbt's parse writes manifest.json (a cost that grows with the project) unless told not to:
    not when the command asks for no JSON, nor when it writes manifest.json itself as
    it ends (dbt's runnable tasks do): the parse's copy would be thrown away.
    """
    quiet = not write_json or "--no-write-json" in command.argv or command.subcommand in WRITES_MANIFEST_AT_END
    return make_command(["parse", "--no-write-json"] if quiet else ["parse"], dbt_vars=command.vars,
                        **location)  # type: ignore[arg-type]  # location: the path options only
