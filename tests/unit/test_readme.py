"""The README's two commands are what CI runs, word for word."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, re.S)]


def test_ci_runs_the_readme_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    blocks = _bash_blocks(readme)
    setup = next(b for b in blocks if "pip install" in b)
    test = next(b for b in blocks if "coverage report --fail-under=95" in b)
    # CI makes its own venv first; the rest of the set-up line must be there verbatim.
    assert setup.split("&& ", 1)[1].split("&& ", 1)[1] in ci
    assert test in ci
