"""dbt's partial-parse file, kept once per vars set: a vars set parsed before costs a partial
parse, not a full one, in this process or any later one.

dbt keeps one ``target/partial_parse.msgpack`` and throws it away whenever ``--vars``
change (dbt-core#6323): a project whose vars move on every call (a simulation year, rates)
pays a full parse on every call, run after run. Here, after each parse, dbt's file is copied
to ``target/planalign_parse/<key>.msgpack``, the key being the parse's arguments without
its paths (vars, target); a later parse with the same key hands that file back to dbt
(``--partial-parse-file-path``). dbt still runs every check of its own on it (dbt version,
vars, profile, env vars, each file's checksum) and re-parses what changed, or all of it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..dbt_internals import PARTIAL_PARSE_FILE, PARTIAL_PARSE_FILE_FLAG
from ..files import atomic_write, digest
from ..versions import installed, vars_from_file

log = logging.getLogger(__name__)

STORE_DIR = "planalign_parse"
# Where the dbt CLI's own partial-parse file waits while a parse of ours runs.
CLI_ASIDE = "cli-partial-parse.aside"
# Options whose value is a path: the same project run from another runner (another private
# profiles copy, another log dir) keeps its key.
PATH_OPTIONS = frozenset({"--project-dir", "--profiles-dir", "--target-path", "--log-path"})

VAR_DIGEST = "sha256:"


def var_digest(text: str) -> str:
    """A var's value (its repr) as a kept parse records it: a digest, never the value (a var may
    hold a secret); a digest already is its own."""
    return text if text.startswith(VAR_DIGEST) else VAR_DIGEST + digest(text, length=40)


# Flags that change what a parse writes, not what it parses.
OUTPUT_FLAGS = frozenset({"--no-write-json", "--write-json"})


def parse_key(parse_argv: Sequence[str], options: frozenset[str] = PATH_OPTIONS, profile: str = "") -> str:
    """The key of a parse: the dbt-core that made it (a parse is never handed to another
    version), its arguments without path options' values and output flags, and, unless vars
    are left out, the vars of the project's ``vars.yml`` (dbt-core 1.12); ``profile``: the
    digest of the profile's fields a parse reads (target_use.relevant), when known."""
    kept: list[str] = [f"dbt-core={installed('dbt-core')}", *([f"profile={profile}"] if profile else [])]
    if "--vars" not in options:
        project = option_value(parse_argv, "--project-dir")
        file_vars = vars_from_file(Path(project)) if project else {}
        if file_vars:
            kept.append(json.dumps(file_vars, sort_keys=True, default=repr))
    skip = False
    for arg in parse_argv:
        if skip:
            skip = False
            continue
        if arg in options:
            skip = True
            continue
        if arg not in OUTPUT_FLAGS:
            kept.append(arg)
    return digest(*kept, length=24)


def base_key(parse_argv: Sequence[str], profile: str = "") -> str:
    """The key of a parse without its vars: parses that differ only in vars share it."""
    return parse_key(parse_argv, PATH_OPTIONS | {"--vars"}, profile)


def option_value(argv: Sequence[str], option: str) -> str | None:
    """The value given to ``option`` in ``argv`` (None when absent)."""
    for i, arg in enumerate(argv[:-1]):
        if arg == option:
            return argv[i + 1]
    return None


class ParseStore:
    """The kept partial-parse files of one dbt target dir (the newest ``keep`` of them)."""

    def __init__(self, target_path: Path, keep: int = 32, secrets: Sequence[str] = ()) -> None:
        if keep < 1:
            raise ValueError(f"keep must be >= 1, got {keep}")
        self.target_path = target_path
        self.dir = target_path / STORE_DIR
        self.keep = keep
        self.secrets = [s.encode("utf-8") for s in secrets if len(s) >= 4]

    def path(self, key: str) -> Path:
        return self.dir / f"{key}.msgpack"

    def args_for(self, key: str) -> list[str]:
        """The extra parse arguments that hand dbt its kept file for ``key`` (if any)."""
        kept = self.path(key)
        if not kept.is_file():
            return []
        _touch(kept)  # recently used: pruned last
        return [PARTIAL_PARSE_FILE_FLAG, str(kept)]

    def profile_hash(self, key: str) -> str | None:
        """dbt's hash of the profile the parse kept for ``key`` was made with (None: not known)."""
        try:
            found = json.loads(self.path(key).with_suffix(".json").read_text()).get("profile_hash")
        except (OSError, ValueError, AttributeError):
            return None
        return found if isinstance(found, str) else None

    def written_since(self, since_ns: int) -> bool:
        """True if dbt wrote its partial-parse file at or after ``since_ns`` (``time.time_ns()``).
        dbt writes it after each parse, not when it found nothing to parse again."""
        try:
            return (self.target_path / PARTIAL_PARSE_FILE).stat().st_mtime_ns >= since_ns
        except OSError:
            return False

    def save(self, key: str, base: str | None = None, cli_vars: Mapping[str, Any] | None = None,
             source: Path | None = None, profile_hash: str | None = None) -> None:
        """Keep the file dbt wrote (or ``source``) for ``key`` (best effort: a failure costs a
        parse later), with the vars it was parsed with and its ``base_key``, for a later parse
        of other vars, and dbt's hash of the profile it was parsed with."""
        written = source or self.target_path / PARTIAL_PARSE_FILE
        try:
            atomic_write(self.path(key), self._scrubbed(written.read_bytes()))
        except OSError:
            log.debug("could not keep dbt's partial-parse file", exc_info=True)
            return
        if base is not None:
            with contextlib.suppress(OSError, TypeError, ValueError):
                self.path(key).with_suffix(".json").write_text(json.dumps(
                    {"base": base, "vars": {k: var_digest(repr(v)) for k, v in (cli_vars or {}).items()},
                     "profile_hash": profile_hash}))
        _touch(self.path(key))
        self._prune()

    def _scrubbed(self, data: bytes) -> bytes:
        """dbt's parse with every secret value the runner knows masked, at the same length (the
        msgpack stays whole). dbt records the values of env vars its files read (``env_vars``):
        a masked one reads as changed, so dbt parses again the files that read it."""
        for secret in self.secrets:
            if secret in data:
                data = data.replace(secret, b"*" * len(secret))
        return data

    def recover_cli_file(self) -> bool:
        """Put back the dbt CLI's partial-parse file a run killed mid-parse left aside (what dbt
        wrote meanwhile was that run's parse, for other vars): the CLI parses partially again."""
        aside = self.dir / CLI_ASIDE
        try:
            os.replace(aside, self.target_path / PARTIAL_PARSE_FILE)
        except OSError:
            return False  # none aside (the usual case)
        log.info("put back the dbt CLI's partial-parse file a stopped run had set aside")
        return True

    @contextlib.contextmanager
    def cli_file_aside(self, usable_by_cli: bool) -> Iterator[Path | None]:
        """Keep the dbt CLI's own partial-parse file out of this parse's way.

        dbt writes each parse to ``target/partial_parse.msgpack``, the file the dbt CLI
        partially parses from: a parse for vars the CLI does not pass there would cost the
        next ``dbt build`` a full parse ("vars changed"). Yields where the CLI's file waits
        (None when there was none), to be handed to the parse as a base. Afterwards the new
        parse stays in the CLI's place only if the CLI can use it (``usable_by_cli``: made
        without ``--vars``, from the user's own profiles.yml); else the CLI's file goes back,
        or, when there was none, none is left."""
        cli = self.target_path / PARTIAL_PARSE_FILE
        aside = self.dir / CLI_ASIDE
        self.recover_cli_file()
        moved = False
        with contextlib.suppress(OSError):
            self.dir.mkdir(parents=True, exist_ok=True)
            os.replace(cli, aside)
            moved = True
        written = time.time_ns()
        try:
            yield aside if moved else None
        finally:
            with contextlib.suppress(OSError):
                if usable_by_cli and self.written_since(written):
                    aside.unlink(missing_ok=True)  # the newer parse replaces the CLI's
                elif moved:
                    os.replace(aside, cli)
                elif not usable_by_cli:
                    cli.unlink(missing_ok=True)

    def _newest_first(self) -> list[Path]:
        try:
            return sorted(self.dir.glob("*.msgpack"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        except OSError:  # pragma: no cover - another process pruned meanwhile
            return []

    def bases_for(self, base: str) -> list[tuple[Path, dict[str, str]]]:
        """The kept parses of the same project and target (any vars), newest first, each with
        the vars it was parsed for."""
        out = []
        for path in self._newest_first():
            try:
                meta = json.loads(path.with_suffix(".json").read_text())
            except (OSError, ValueError):
                continue
            if meta.get("base") == base and isinstance(meta.get("vars"), dict):
                out.append((path, meta["vars"]))
        return out

    def _prune(self) -> None:
        for old in self._newest_first()[self.keep :]:
            with contextlib.suppress(OSError):
                old.unlink()
            with contextlib.suppress(OSError):
                old.with_suffix(".json").unlink()


def _touch(path: Path) -> None:
    """Set ``path``'s times to now, to the nanosecond (the file system's clock may be coarser)."""
    now = time.time_ns()
    with contextlib.suppress(OSError):
        os.utime(path, ns=(now, now))
