"""A vars set never parsed before: re-parse only the files that read a var whose value changed.

dbt parses the whole project on any change of ``--vars`` (dbt-core#6323). Here a kept parse
of the same project for other vars (``parse_cache.ParseStore``) is handed to dbt's own partial
parser as if the vars had not changed, with the SQL and Python files that name a changed var
marked as changed: dbt re-parses exactly those, and the nodes that use a macro among them.
Everything else keeps its parse, which cannot depend on vars it does not read.

Only when that is sure: any ``var`` that is not a call with a literal name (anywhere in the
project or its packages), or a changed var read at parse time in YAML (dbt compares YAML by its
unrendered text, so it would not re-render it; a generic test's arguments are not rendered at
parse time: runner/parse/yaml_vars.py), in ``dbt_project.yml`` or in docs, means a full parse.
dbt still runs its own checks on the handed-over parse (version, profile, env vars, every
other file's checksum).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..dbt_internals import VarsHashInputs
from ..layout import CONFIG_FILES, ProjectLayout, load_yaml
from ..versions import effective_vars, var_name
from .cache import ParseStore, base_key, var_digest
from .target_use import ProfileSeen
from .vars_hash import hash_inputs
from .disabled_tests import files_to_parse_again
from .sql_vars import SqlVarUse, value_only_reads
from .yaml_vars import (
    UnseenName,
    YamlVarUse,
    docs_blocks,
    ReadDefaults,
    jinja_code,
    reads_any,
    var_names,
)

log = logging.getLogger(__name__)

CODE = frozenset({".sql", ".py"})
YAML = frozenset({".yml", ".yaml"})
TEXT = frozenset({".sql", ".py", ".yml", ".yaml", ".md", ".jinja", ".jinja2"})


def changed_vars(old: Mapping[str, str], new: Mapping[str, Any],
                 defaults: Mapping[str, str] | None = None) -> set[str]:
    """Names whose value differs (added and removed ones too); ``old`` holds reprs or their
    digests (``var_digest``, as kept parses record them). A name given
    on one side only is the same when the other side's value is its default in dbt_project.yml
    (``defaults``: project_var_defaults). Keys of ``versions.effective_vars`` (a var of
    ``vars.yml``) count as the name they are read by."""
    defaults = {k: var_digest(r) for k, r in (defaults or {}).items()}
    old = {k: var_digest(r) for k, r in old.items()}
    new_digests = {k: var_digest(repr(v)) for k, v in new.items()}
    return {var_name(k) for k in old.keys() | new_digests.keys()
            if old.get(k, defaults.get(k)) != new_digests.get(k, defaults.get(k))}



def project_var_defaults(project_dir: Path) -> dict[str, str]:
    """The root project's own ``vars:`` a var not passed on the command line resolves to, as
    reprs: plain values at its top level only. Not a name any package's ``vars:`` holds (the
    root's ``vars: {package: {...}}`` or a package's own dbt_project.yml: within that package
    the name can resolve otherwise), nor a value written with Jinja."""
    root_vars = load_yaml(project_dir / "dbt_project.yml").get("vars")
    if not isinstance(root_vars, dict):
        return {}
    scoped = _package_scoped(project_dir, root_vars)
    return {str(k): repr(v) for k, v in root_vars.items()
            if not isinstance(v, (dict, list)) and str(k) not in scoped and not (isinstance(v, str) and "{" in v)}


def _package_scoped(project_dir: Path, root_vars: Mapping[str, Any]) -> set[str]:
    """The names a package's vars hold: the root's ``vars: {package: {...}}`` and each installed
    package's own ``vars:`` block (its top level and its own package scopes)."""
    scoped = {str(k) for v in root_vars.values() if isinstance(v, dict) for k in v}
    for package in ProjectLayout.read(project_dir).packages():
        block = load_yaml(package.root / "dbt_project.yml").get("vars")
        if isinstance(block, dict):
            scoped |= {str(k) for k in block} | {str(k) for v in block.values() if isinstance(v, dict) for k in v}
    return scoped


def project_var_names(project_dir: Path) -> frozenset[str]:
    """The names the root project's own ``vars:`` gives a value at its top level."""
    root_vars = load_yaml(project_dir / "dbt_project.yml").get("vars")
    if not isinstance(root_vars, dict):
        return frozenset()
    return frozenset(str(k) for k, v in root_vars.items() if not isinstance(v, dict))


def vars_defined(project_dir: Path) -> set[str]:
    """Every name a ``vars:`` block gives a value: the root project's (top level and scoped to a
    package) and each package's own."""
    root_vars = load_yaml(project_dir / "dbt_project.yml").get("vars")
    root_vars = root_vars if isinstance(root_vars, dict) else {}
    return {str(k) for k in root_vars} | _package_scoped(project_dir, root_vars)


def defined_vars(project_dir: Path, effective: Mapping[str, Any],
                 project_names: frozenset[str] | None = None) -> set[str]:
    """The names a var() call resolves without its default: the given vars and the root
    project's own top-level ``vars:`` (``project_names``, when read already). Package-scoped
    ones are left out: a missing name costs a re-parse, never a wrong one."""
    names = project_var_names(project_dir) if project_names is None else project_names
    return {var_name(k) for k in effective} | names


def text_files(project_dir: Path, skip: set[Path]) -> Iterator[Path]:
    """The text files dbt reads from the project and its packages (runner/layout.py)."""
    for path in ProjectLayout.read(project_dir).files(frozenset(skip)):
        if path.suffix in TEXT:
            yield path


class VarUse:
    """Which vars each file of the project names (one scan, for every candidate base)."""

    def __init__(self, code: dict[Path, set[str]], other: set[str],
                 bare: dict[Path, SqlVarUse] | None = None) -> None:
        self.code = code  # SQL and Python files: the var names each one reads
        # SQL files whose vars are all bare outputs (sql_vars.py): no value of theirs shapes the
        # parse; only one undefined (read without a default) would, as an error.
        self.bare = bare or {}
        # dbt_project.yml's own vars (project_var_defaults, project_var_names), read with the
        # files: the scan is kept for the project's fingerprint, so they are read once with it.
        self.defaults: dict[str, str] = {}
        self.project_names: frozenset[str] = frozenset()
        # For names of ``other``: the literal default all reads outside SQL and Python share.
        self.parse_time_defaults: dict[str, str] = {}
        # Names read at parse time anywhere else (YAML, docs, dbt_project.yml): dbt compares those
        # files by their text, so it would not render them again. Vars read only in generic tests'
        # arguments are not among them (runner/parse/yaml_vars.py): they shape no parse.
        self.other = other

    @classmethod
    def scan(cls, project_dir: Path, skip: set[Path]) -> VarUse | None:
        """None when some ``var`` is read by a name we cannot see, or a file cannot be read."""
        code: dict[Path, set[str]] = {}
        other: set[str] = set()
        bare: dict[Path, SqlVarUse] = {}
        defaults = ReadDefaults()
        for path in text_files(project_dir, skip):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
            if path.suffix in YAML:
                try:  # a schema file: vars in generic tests' arguments are read when tests compile
                    yaml_use = YamlVarUse.of(text)
                    other |= yaml_use.at_parse | (yaml_use.at_compile if path.name in CONFIG_FILES else set())
                except UnseenName:
                    log.debug("%s reads a var by a name we cannot see: full parse", path)
                    return None
                defaults.merge(yaml_use.defaults)
                continue
            try:  # var() can only be called in Jinja (outside Python models); comments never run
                if path.suffix == ".md":
                    text = docs_blocks(text)
                code_text = text if path.suffix == ".py" else jinja_code(text)
                names = var_names(code_text)
            except UnseenName:
                log.debug("%s reads a var by a name we cannot see: full parse", path)
                return None
            if not names:
                continue
            if path.suffix == ".sql" and (value_only := value_only_reads(text)) is not None:
                bare[path.resolve()] = value_only
            elif path.suffix in CODE:
                code[path.resolve()] = names
            else:
                other |= names
                defaults.add(code_text, names)
        use = cls(code, other, bare)
        use.defaults, use.project_names = project_var_defaults(project_dir), project_var_names(project_dir)
        use.parse_time_defaults = defaults.shared(vars_defined(project_dir))
        return use

    def reparse_for(self, old: Mapping[str, str], new: Mapping[str, Any],
                    defined: set[str] | None = None) -> set[Path] | None:
        """``reparse`` for a parse of vars ``old`` (reprs) and one of ``new``."""
        changed = changed_vars(old, new, self.defaults)
        at_parse = changed & changed_vars(old, new, {**self.parse_time_defaults, **self.defaults})
        return self.reparse(changed, defined, at_parse)

    def reparse(self, changed: set[str], defined: set[str] | None = None,
                at_parse: set[str] | None = None) -> set[Path] | None:
        """The SQL and Python files whose parse a changed var may shape; None when a full parse
        is needed. ``defined``: the names the new vars resolve (None: every name, as before).
        ``at_parse``: of ``changed``, those whose value read in YAML changes (a name given on one
        side only, the other reading the default those reads share, is the same there)."""
        if reads_any(self.other, changed if at_parse is None else at_parse):
            log.debug("a changed var is read at parse time outside SQL and Python (among %s): full parse",
                      ", ".join(sorted(changed)[:5]))
            return None
        files = {path for path, names in self.code.items() if reads_any(names, changed)}
        if defined is not None:  # a bare read of a var that is gone raises while dbt parses
            files |= {path for path, use in self.bare.items() if use.need_definition & (changed - defined)}
        return files


def files_to_reparse(project_dir: Path, changed: set[str], skip: set[Path],
                     defined: set[str] | None = None) -> set[Path] | None:
    """The SQL and Python files whose parse a changed var may shape; None when a full parse is needed."""
    use = VarUse.scan(project_dir, skip)
    return None if use is None else use.reparse(changed, defined)


def doctor(base: Path | Any, dest: Path, cli_vars: Mapping[str, Any], inputs: VarsHashInputs,
           reparse: set[Path], profile_hash: str | None = None) -> int:
    """Write ``base`` (a kept parse, or one loaded) to ``dest`` as dbt's parse for ``cli_vars``
    (and, given, for the profile of ``profile_hash``: one that differs only in fields no parse
    reads, target_use.py) with the files in ``reparse`` marked changed (and, when there are any,
    the files that keep disabled tests where a full parse puts them: disabled_tests.py); return
    how many were marked."""
    from ..dbt_internals import load_parse, new_file_hash, save_parse

    manifest = load_parse(base) if isinstance(base, Path) else base
    manifest.state_check.vars_hash = new_file_hash(inputs.of(cli_vars))
    if profile_hash is not None:
        manifest.state_check.profile_hash = new_file_hash(profile_hash)
    marked = {file_id for file_id, source_file in manifest.files.items()
              if (full := getattr(source_file.path, "full_path", None)) is not None
              and Path(full).resolve() in reparse}
    if marked:  # a partial parse of anything moves disabled tests that it does not parse again
        marked |= files_to_parse_again(manifest) & manifest.files.keys()
    for file_id in marked:
        manifest.files[file_id].checksum = new_file_hash("0" * 64)  # never a real file's sha256
    save_parse(manifest, dest)
    return len(marked)


def parse_from_other_vars(store: ParseStore, key: str, project_dir: Path, target_path: Path,
                          parse_argv: Sequence[str], cli_vars: Mapping[str, Any],
                          cli_file: Path | None = None, profile: ProfileSeen | None = None) -> Path | None:
    """A kept parse for other vars, written for these with only what reads a changed var marked
    for re-parsing, to hand to dbt (the caller removes it after the parse); None: dbt parses
    it all. Of the kept parses, the one that leaves the fewest files to re-parse (the newest
    of those): a year's first stage starts from last year's same stage, not from the call
    before it with vars of its own. With none kept, the dbt CLI's own parse (``cli_file``) if
    it was made without ``--vars``. ``profile``: the profile of this parse (kept parses of
    profiles that differ in fields a parse reads are not among the bases)."""
    relevant, profile_hash = (profile.relevant, profile.hash) if profile is not None else ("", None)
    bases: list[tuple[Any, Mapping[str, str]]] = list(store.bases_for(base_key(parse_argv, relevant)))
    if not bases and cli_file is None:
        return None
    try:
        inputs = hash_inputs(project_dir, parse_argv)
        cli_base = None
        if not bases and cli_file is not None:
            cli_base = _parse_without_vars(cli_file, inputs)
            bases = [] if cli_base is None else [(cli_base, {})]
        if not bases:
            return None
        best = _fewest_to_parse_again(bases, project_dir, target_path, cli_vars)
        if best is None:
            return None
        base, changed, reparse = best
        dest = store.dir / f"{key}.from-other-vars"
        marked = doctor(base, dest, cli_vars, inputs, reparse, profile_hash if base is not cli_base else None)
    except Exception:  # never worse than dbt's own full parse
        log.debug("could not start from a parse of other vars", exc_info=True)
        return None
    names = sorted(changed)
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    log.info("parsing from a parse of other vars (changed: %s): %d file(s) read them", shown or "none", marked)
    return dest


def _fewest_to_parse_again(bases: list[tuple[Any, Mapping[str, str]]], project_dir: Path, target_path: Path,
                           cli_vars: Mapping[str, Any]) -> tuple[Any, set[str], set[Path]] | None:
    """Of ``bases`` (parses with the vars each was made for), the one that leaves the fewest
    files to parse again for ``cli_vars`` (the first of those), with the vars that changed and
    those files; None when every one needs a full parse."""
    use = VarUse.scan(project_dir, {target_path})
    if use is None:
        return None
    best: tuple[Any, set[str], set[Path]] | None = None
    now = effective_vars(project_dir, cli_vars)
    defined = defined_vars(project_dir, now, use.project_names)
    for base, old_vars in bases:
        reparse = use.reparse_for(old_vars, now, defined)
        if reparse is not None and (best is None or len(reparse) < len(best[2])):
            best = (base, changed_vars(old_vars, now, use.defaults), reparse)
    return best


def _parse_without_vars(path: Path, inputs: VarsHashInputs) -> Any:
    """The dbt CLI's parse at ``path`` if it was made without ``--vars`` (with or without this
    ``--target``), else None."""
    from ..dbt_internals import load_parse

    try:
        manifest = load_parse(path)
        made_for = manifest.state_check.vars_hash.checksum
    except Exception:
        log.debug("could not read the dbt CLI's partial-parse file", exc_info=True)
        return None
    if made_for in {inputs.of({}), inputs.without_target_arg().of({})}:
        return manifest
    return None
