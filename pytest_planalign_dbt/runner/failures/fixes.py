"""The one fix to suggest for a failure, right for its node type.

Rules are tried in order; the first that applies wins. Message rules (a missing ref, an unknown
flag...), then each engine's own (adapters/: a DuckDB lock, Spark's analysis errors), hold
whatever failed; node-type rules (hook, seed, ephemeral,
contract, freshness, snapshot) come before the generic rule of the failure's kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .. import adapters
from .kinds import EPHEMERAL_ERROR, Kind

MISSING_REF = re.compile(r"depends on a node named '(?P<name>[^']+)'")
_SEED_TYPES = re.compile(r"CSV Error|Could not convert string .* to|column_types|Sniffed type", re.I)
_CONTRACT = re.compile(r"enforced contract|contract.*(did not match|failed)", re.I)
_MISSING_VAR = re.compile(r"Required var '(?P<name>[^']+)' not found")
_UNKNOWN_FLAG = re.compile(r"[Nn]o such option: (?P<flag>\S+)")
_HOOK_NAME = re.compile(r"(?P<pkg>[\w-]+)-(?P<type>on-run-(?:start|end))-(?P<index>\d+)")
# dbt's verdict of a data test: "Got 0 results, configured to fail if <1" (too few rows), "!= 0"...
CONDITION = re.compile(r"Got \d+ results?, configured to (?:fail|warn) if\s*(?P<op><=?|>=?|!=|==?)\s*(?P<n>\d+)")
TOO_FEW_FIX = ("the test's query found too few rows: check that what it tests is not empty, or change its "
               "error_if / warn_if")
_PARSING = re.compile(r"Parsing Error|Syntax error|while parsing|Invalid .*yml", re.I)


@dataclass(frozen=True)
class Failure:
    """What a fix rule looks at."""

    kind: str
    message: str
    compiled_path: str | None
    resource_type: str | None
    name: str | None

    @property
    def what(self) -> str:
        return f" {self.name}" if self.name else ""

    def reproduce(self, command: str, placeholder: str) -> str:
        return f"`dbt {command} --select{self.what or ' ' + placeholder}` reproduces it"


def _missing_ref(f: Failure) -> str | None:
    missing = MISSING_REF.search(f.message)
    return missing and (
        f"check the name in ref('{missing['name']}') against your models, seeds and snapshots; if it "
        "comes from a package, run `dbt deps`"
    )


def _missing_var(f: Failure) -> str | None:
    missing = _MISSING_VAR.search(f.message)
    return missing and (
        f"pass var '{missing['name']}': --dbt-vars '{{{missing['name']}: ...}}' in pytest, "
        f"dbt_vars={{'{missing['name']}': ...}} to the runner, or give it a default under vars: in "
        "dbt_project.yml"
    )


def _unknown_flag(f: Failure) -> str | None:
    flag = _UNKNOWN_FLAG.search(f.message)
    return flag and f"remove or correct {flag['flag']}: `dbt <command> --help` lists the flags dbt accepts"


def _matches(pattern: str, fix: str, flags: int = 0) -> Callable[[Failure], str | None]:
    return lambda f: fix if re.search(pattern, f.message, flags) else None


def _of_kind(first: bool) -> Callable[[Failure], str | None]:
    """The kind's own fix (kinds.KINDS), for the kinds said ``first`` or after the node types."""
    def rule(f: Failure) -> str | None:
        info = Kind.of(f.kind).info
        return info.fix if info.fix_first == first else None
    return rule


def fails_on_too_few(message: str | None) -> bool:
    """True when a data test fails because its query found too few rows (``error_if: <1``)."""
    match = CONDITION.search(message or "")
    return match is not None and match.group("op").startswith("<")


def _too_few(f: Failure) -> str | None:
    return TOO_FEW_FIX if f.kind == Kind.DATA_QUALITY and fails_on_too_few(f.message) else None


def _hook(f: Failure) -> str | None:
    if f.resource_type != "operation":
        return None
    hook = _HOOK_NAME.search(f.name or f.message)
    where = (f"{hook['type']} hook #{hook['index']} in the dbt_project.yml of {hook['pkg']}" if hook
             else "the hook or macro in dbt's message")
    return f"fix {where} (run its compiled SQL to reproduce); hooks run with every dbt build, run and seed"


def _seed(f: Failure) -> str | None:
    if f.resource_type != "seed":
        return None
    if _SEED_TYPES.search(f.message):
        return (f"the CSV of seed{f.what} does not fit the seed's column_types: fix the values in the CSV, "
                f"or the `column_types` in the seed's config; {f.reproduce('seed', '<seed>')}")
    return f"check the CSV file of seed{f.what} and the seed's config; {f.reproduce('seed', '<seed>')}"


def _ephemeral(f: Failure) -> str | None:
    found = EPHEMERAL_ERROR.search(f.message) if f.kind == Kind.COMPILATION else None
    return found and (f"fix ephemeral model {found['model'].split('.')[-1]} (dbt inlines it into"
                      f"{f.what or ' this node'}; "
                      f"its error is above); {f.reproduce('compile', '<node>')}")


def _contract(f: Failure) -> str | None:
    if f.kind != Kind.COMPILATION or not _CONTRACT.search(f.message):
        return None
    return (f"make the columns and data types of model{f.what} match its contract in YAML (or change the "
            f"contract); {f.reproduce('run', '<model>')}")


def _freshness(f: Failure) -> str | None:
    if f.resource_type != "source" and not re.search(r"freshness", f.message, re.I):
        return None
    return ("the source's newest row is older than its `freshness:` threshold (or its loaded_at_field "
            "cannot be read): load fresh data, or relax the threshold; `dbt source freshness` reproduces it")


def _snapshot(f: Failure) -> str | None:
    if f.resource_type != "snapshot" or f.kind not in (Kind.EXECUTION, Kind.UNKNOWN):
        return None
    sql = "the compiled SQL" if f.compiled_path else "the snapshot's SQL"
    return f"run {sql} against the database to reproduce, then fix the snapshot's query or its unique_key / strategy config"


def _compilation(f: Failure) -> str | None:
    if f.kind != Kind.COMPILATION:
        return None
    if _PARSING.search(f.message):
        return "fix the Jinja or YAML named in dbt's message; `dbt parse` reproduces it"
    return f"fix the Jinja, ref/source or config named in dbt's message; {f.reproduce('compile', '<node>')}"


def _execution(f: Failure) -> str | None:
    if f.kind != Kind.EXECUTION:
        return None
    sql = "the compiled SQL" if f.compiled_path else "the node's SQL"
    noun = f.resource_type.replace("_", " ") if f.resource_type else "model"
    return f"run {sql} against the database to reproduce, then fix the {noun}"


# Rules on the message, whatever failed; each engine's own rules (adapters/) come after them.
MESSAGE_RULES: tuple[Callable[[Failure], str | None], ...] = (
    _missing_ref,
    _missing_var,
    _matches(r"unable to infer all dependencies",
             "the SQL reads a ref() dbt did not see when it parsed (inside an if, or named by a var): add "
             "`-- depends_on: {{ ref('that_model') }}` at the top of the model for each model it may read"),
    _unknown_flag,
    _matches(r"Could not find profile named",
             "check `profile:` in dbt_project.yml against profiles.yml, and the profiles dir in use"),
    _matches(r"does not have a target named", "pick a target that exists in profiles.yml (target=... / --dbt-target)"),
    _matches(r"dbt_project\.yml.*(not found|No dbt_project)|(not found|No dbt_project).*dbt_project\.yml",
             "point the runner at the directory that holds dbt_project.yml", re.S),
    _matches(r"dbt found \d+ package\(s\) specified in packages\.yml|run \W?dbt deps",
             "install the project's packages with `dbt deps` (in the project dir), then run again", re.I),
)
# Rules on the kind and the node type.
KIND_RULES: tuple[Callable[[Failure], str | None], ...] = (
    _of_kind(first=True),
    _too_few,
    _hook,
    _seed,
    _ephemeral,
    _contract,
    _freshness,
    _snapshot,
    _compilation,
    _execution,
    _of_kind(first=False),
)


def suggest_fix(
    kind: str, message: str, compiled_path: str | None = None, resource_type: str | None = None,
    name: str | None = None,
) -> str:
    """A plain-words next step for a failure, right for its node type."""
    failure = Failure(kind, message, compiled_path, resource_type, name)
    for rule in MESSAGE_RULES:
        fix = rule(failure)
        if fix:
            return fix
    for engine_rule in adapters.fix_rules():
        fix = engine_rule(message)
        if fix:
            return fix
    for rule in KIND_RULES:
        fix = rule(failure)
        if fix:
            return fix
    return "read dbt's message above and the dbt log (logs/dbt.log) for the cause"
