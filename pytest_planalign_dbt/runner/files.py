"""Two file helpers every cache here shares: an atomic write and a digest."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: str | bytes | None = None, *, copy_of: Path | None = None) -> None:
    """Write ``data`` (or a copy of the file ``copy_of``) to ``path`` atomically: a reader sees
    the old file or the new one, never half of either (a temp file beside it, then os.replace).

    Raises OSError as writing would; no temp file is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if copy_of is not None:
                with copy_of.open("rb") as source:
                    shutil.copyfileobj(source, handle)
            else:
                handle.write(data.encode() if isinstance(data, str) else (data or b""))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class WriteFailed(OSError):
    """A file the runner writes could not be written whole (a full disk, no permission): loud,
    never half a file and a green run. Its text names the path and the free space there."""


def free_mib(path: Path) -> float | None:
    """The free space on ``path``'s file system in MiB (its nearest existing dir), or None."""
    for directory in (path, *path.parents):
        try:
            return shutil.disk_usage(directory).free / 2**20
        except OSError:
            continue
    return None  # pragma: no cover - the root always exists


def write_failure(path: Path, exc: OSError) -> WriteFailed:
    """The WriteFailed for ``exc`` raised while writing ``path``."""
    free = free_mib(path)
    room = f"{free:.1f} MiB free there" if free is not None else "free space unknown"
    error = WriteFailed(f"could not write {path}: {exc.strerror or exc} ({room}); free space on that disk, "
                        "or point dbt's target-path elsewhere (DBT_TARGET_PATH, or target-path in "
                        "dbt_project.yml)")
    error.errno = exc.errno
    return error


def digest(*parts: str, length: int | None = None) -> str:
    """The sha256 of ``parts`` joined by NUL, in hex; cut to ``length`` characters for a file name."""
    text = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
    return text[:length] if length else text
