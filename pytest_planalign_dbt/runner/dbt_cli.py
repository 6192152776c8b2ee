"""``python -m pytest_planalign_dbt.runner.dbt_cli ARGS``: dbt's own CLI (``dbt ARGS``) with the
fixes this runner makes to the installed dbt (runner/wildcards.py). The subprocess executor runs
it instead of the ``dbt`` beside this Python where the installed dbt needs a fix."""

from __future__ import annotations


def main() -> None:
    """Apply the fixes, then hand over to ``dbt.cli.main:cli`` (dbt's console script)."""
    from .dbt_internals import select_bare_wildcards_by_name

    select_bare_wildcards_by_name()
    from dbt.cli.main import cli

    cli()


if __name__ == "__main__":
    main()
