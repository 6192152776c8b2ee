"""``python -m pytest_planalign_dbt.runner.dbt_cli ARGS``: dbt's own CLI (``dbt ARGS``) with the
fixes this runner makes to the installed dbt (runner/wildcards.py), and, when the environment
names a rows file (typed_rows.ROWS_FILE_ENV), the rows ``dbt show`` prints written there as the
database returned them. The subprocess executor runs it instead of the ``dbt`` beside this
Python where the installed dbt needs a fix, and for every ``show``."""

from __future__ import annotations


def main() -> None:
    """Apply the fixes, then hand over to ``dbt.cli.main:cli`` (dbt's console script)."""
    import os

    from .dbt_internals import select_bare_wildcards_by_name, write_shown_rows
    from .typed_rows import ROWS_FILE_ENV

    select_bare_wildcards_by_name()
    if os.environ.get(ROWS_FILE_ENV):
        write_shown_rows(os.environ[ROWS_FILE_ENV])
    from dbt.cli.main import cli

    cli()


if __name__ == "__main__":
    main()
