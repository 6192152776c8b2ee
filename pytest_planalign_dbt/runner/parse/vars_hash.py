"""What dbt's vars hash covers besides ``--vars``: the profile and target names, the vars in the
project file (a parse is kept and reused under that hash: parse/reuse.py, unseen_vars.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..dbt_internals import VarsHashInputs
from ..project import load_project
from ..versions import vars_from_file
from .cache import option_value


def hash_inputs(project_dir: Path, parse_argv: Sequence[str]) -> VarsHashInputs:
    """What dbt's vars hash covers besides ``--vars``, for a parse of ``parse_argv``."""
    profiles = option_value(parse_argv, "--profiles-dir")
    info = load_project(project_dir, Path(profiles) if profiles else None)
    profile_arg, target_arg = option_value(parse_argv, "--profile"), option_value(parse_argv, "--target")
    default = info.default_target() or "default"
    return VarsHashInputs(
        profile_arg=profile_arg, target_arg=target_arg, profile_name=profile_arg or info.profile or "",
        target_name=target_arg or default, default_target=default, file_vars=vars_from_file(project_dir),
    )
