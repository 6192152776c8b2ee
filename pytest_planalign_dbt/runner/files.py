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


def digest(*parts: str, length: int | None = None) -> str:
    """The sha256 of ``parts`` joined by NUL, in hex; cut to ``length`` characters for a file name."""
    text = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
    return text[:length] if length else text
