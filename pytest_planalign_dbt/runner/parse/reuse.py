"""Parse reuse for the in-process executor: the manifest for a call, parsed as little as dbt allows.

In order: a manifest kept in memory for these very arguments; one kept in memory for other vars
that parse alike (memory.py); else one ``dbt parse``, handed the best starting point on disk: the
partial-parse file kept for these vars (cache.py), one derived from a parse of other vars
(unseen_vars.py), or the dbt CLI's own file. Runs under the executor's process lock.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..dbt_internals import PARTIAL_PARSE_FILE_FLAG
from ..events import EventSink
from ..invocation import Invocation, RunContext
from ..results import ParseInfo
from ..versions import effective_vars
from .cache import ParseStore, base_key, parse_key
from .memory import ManifestMemory
from .target_use import ProfileSeen, profile_seen
from .unseen_vars import doctor, parse_from_other_vars
from .vars_hash import hash_inputs

log = logging.getLogger(__name__)


class ParseReuse:
    """The manifests one executor keeps, and the parses it ran to get them."""

    def __init__(self, quiet_flags: tuple[str, ...], reuse_manifest_across_vars: bool = False,
                 keep_parses: bool = True, reparse_unseen_vars: bool = True) -> None:
        self.quiet_flags = quiet_flags
        self.reuse_manifest_across_vars = reuse_manifest_across_vars
        self.memory = ManifestMemory()
        # dbt's partial-parse file kept per vars set on disk.
        self.keep_parses = keep_parses
        # For vars not seen yet: start from a kept parse of other vars.
        self.reparse_unseen_vars = reparse_unseen_vars
        self.parses = 0  # parses run (full or partial)
        self.full_parses = 0  # of which dbt parsed the whole project
        self.last: ParseInfo | None = None  # how the latest call got its manifest

    def key(self, ctx: RunContext) -> tuple[Any, ...]:
        """The in-memory key of a call's parse: its parse argv (vars dropped if reused across them)."""
        argv = list(ctx.parse_command.argv)
        if self.reuse_manifest_across_vars and "--vars" in argv:
            i = argv.index("--vars")
            del argv[i : i + 2]
        return (tuple(argv), ctx.fingerprint)

    def manifest_for(self, ctx: RunContext, callback: Callable[[Any], None],
                     sink: EventSink) -> tuple[Any, Invocation | None]:
        """The manifest for this call, or (None, the invocation that says why the parse failed)."""
        key = self.key(ctx)
        parse_argv, cli_vars = ctx.parse_command.argv, ctx.parse_command.vars
        kept_manifest = self.memory.get(key)
        if kept_manifest is None and self.reparse_unseen_vars:
            kept_manifest = self.memory.same_parse(parse_argv, cli_vars, ctx.fingerprint, ctx.project_dir,
                                                   ctx.target_path)
            if kept_manifest is not None:
                self.memory.put(key, parse_argv, cli_vars, kept_manifest)
        if kept_manifest is not None:
            self.last = ParseInfo("memory")
            return kept_manifest, None
        manifest, failed = self._parse_with_store(ctx, callback, sink)
        if failed is None:
            self.memory.put(key, parse_argv, cli_vars, manifest)
        return manifest, failed

    def _parse_with_store(self, ctx: RunContext, callback: Callable[[Any], None],
                          sink: EventSink) -> tuple[Any, Invocation | None]:
        started, started_ns = time.monotonic(), time.time_ns()
        store = ParseStore(ctx.target_path, secrets=ctx.secrets) if self.keep_parses else None
        profile = (profile_seen(ctx.project_dir, ctx.fingerprint, ctx.target_path, ctx.parse_command.argv,
                                ctx.parse_command.vars) if store is not None else None)
        store_key = parse_key(ctx.parse_command.argv, profile=profile.relevant if profile else "")
        usable_by_cli = not ctx.parse_command.vars and ctx.parse_uses_user_profiles
        aside = store.cli_file_aside(usable_by_cli) if store is not None else contextlib.nullcontext()
        with aside as cli_file:
            kept, derived = self._handed_over(store, store_key, ctx, cli_file, profile)
            try:
                argv = [*ctx.parse_command.argv, *kept, *self.quiet_flags]
                manifest, failed = self._parse(ctx, callback, sink, argv, started)
                if failed is None:
                    self._keep(store, store_key, ctx, started_ns, derived, profile)
            finally:
                if derived is not None:
                    derived.unlink(missing_ok=True)
        return manifest, failed

    def _parse(self, ctx: RunContext, callback: Callable[[Any], None], sink: EventSink, argv: list[str],
               started: float) -> tuple[Any, Invocation | None]:
        """One ``dbt parse``: the manifest, or the invocation that says why there is none."""
        from dbt.cli.main import dbtRunner

        full_before = len(sink.full_parses)
        res = dbtRunner(callbacks=[callback]).invoke(argv)
        self._count(sink, full_before, started)
        if isinstance(res.exception, KeyboardInterrupt):
            raise KeyboardInterrupt
        if not res.success or res.result is None:
            self.memory.clear()
            fatal = str(res.exception) if res.exception else (sink.fatal or "dbt parse failed")
            return None, Invocation(
                command=ctx.parse_command, argv=["dbt", *argv], return_code=2, lines=sink.lines,
                stderr=fatal, nodes=[], fatal=fatal, invocation_id=sink.invocation_id,
                duration=time.monotonic() - started,
            )
        return res.result, None

    @staticmethod
    def _keep(store: ParseStore | None, key: str, ctx: RunContext, started_ns: int, derived: Path | None,
              profile: ProfileSeen | None) -> None:
        """Keep this parse for its vars and profile: the file dbt wrote, or, when dbt found nothing
        to parse again in a parse derived from another (other vars, another profile), that
        derived file (it is dbt's parse for them)."""
        if store is None:
            return
        argv = ctx.parse_command.argv
        parsed_for = effective_vars(ctx.project_dir, ctx.parse_command.vars)
        base, profile_hash = base_key(argv, profile.relevant if profile else ""), profile.hash if profile else None
        if store.written_since(started_ns):
            store.save(key, base, parsed_for, profile_hash=profile_hash)
        elif derived is not None:
            store.save(key, base, parsed_for, source=derived, profile_hash=profile_hash)

    def _handed_over(self, store: ParseStore | None, key: str, ctx: RunContext, cli_file: Path | None,
                     profile: ProfileSeen | None) -> tuple[list[str], Path | None]:
        """The arguments that hand dbt a parse to start from: kept for these vars (and the
        profile's fields a parse reads; made for this profile's hash if another's), derived from
        a parse of other vars (that file is returned, to be removed after the parse), or the dbt
        CLI's own (``cli_file``, set aside while we parse)."""
        if store is None:
            return [], None
        kept = store.args_for(key)
        if kept:
            return self._for_profile(store, key, ctx, kept, profile)
        vars_ = ctx.parse_command.vars
        derived = (parse_from_other_vars(store, key, ctx.project_dir, ctx.target_path, ctx.parse_command.argv,
                                         vars_, cli_file if vars_ else None, profile)
                   if self.reparse_unseen_vars else None)
        if derived is not None:
            return [PARTIAL_PARSE_FILE_FLAG, str(derived)], derived
        return ([PARTIAL_PARSE_FILE_FLAG, str(cli_file)] if cli_file is not None else []), None

    @staticmethod
    def _for_profile(store: ParseStore, key: str, ctx: RunContext, kept: list[str],
                     profile: ProfileSeen | None) -> tuple[list[str], Path | None]:
        """The kept parse as dbt's for this profile: written again with this profile's hash when
        it was made with another that differs only where no parse reads (a DuckDB file's path):
        dbt would throw it away ("profile has changed") and parse it all."""
        made_with = store.profile_hash(key)
        if profile is None or made_with is None or made_with == profile.hash:
            return kept, None
        dest = store.dir / f"{key}.for-profile"
        try:
            inputs = hash_inputs(ctx.project_dir, ctx.parse_command.argv)
            doctor(store.path(key), dest, ctx.parse_command.vars, inputs, set(), profile.hash)
        except Exception:  # never worse than dbt's own check
            log.debug("could not write the kept parse for this profile", exc_info=True)
            return kept, None
        log.info("parsing from a parse kept for another profile (no parse reads what differs)")
        return [PARTIAL_PARSE_FILE_FLAG, str(dest)], dest

    def _count(self, sink: EventSink, full_before: int, started: float) -> None:
        self.parses += 1
        full = len(sink.full_parses) > full_before
        self.full_parses += full
        seconds = time.monotonic() - started
        self.last = ParseInfo("full", seconds, sink.full_parses[-1]) if full else ParseInfo("partial", seconds)
        log.info("parsed the dbt project in %.2fs (%s)", seconds,
                 f"full: {sink.full_parses[-1]}" if full else "partial")
