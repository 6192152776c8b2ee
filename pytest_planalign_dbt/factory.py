"""Build a DbtRunner from the session's settings (shared by the fixtures and the collector)."""

from __future__ import annotations

from .options import DbtSettings
from .runner import DbtRunner, RetryPolicy


def make_runner(
    settings: DbtSettings,
    *,
    worker: str | None = None,
    database_suffix: str | None = None,
) -> DbtRunner:
    """A runner for the configured project.

    ``worker`` (an xdist worker id or a scenario name) gets its own target and log dirs;
    ``database_suffix`` its own DuckDB file (``sim.duckdb`` -> ``sim-gw0.duckdb``).
    """
    if settings.project_dir is None:
        raise LookupError(
            "no dbt project configured: pass --dbt-project-dir (or set dbt_project_dir in your "
            "ini file, or run pytest where dbt_project.yml is)"
        )
    target_path = log_path = None
    if worker is not None:
        target_path = settings.project_dir / "target" / f"pytest-{worker}"
        log_path = settings.project_dir / "logs" / f"pytest-{worker}"
    return DbtRunner(
        settings.project_dir,
        threads=settings.threads,
        profiles_dir=settings.profiles_dir,
        target=settings.target,
        executor=settings.executor,
        retry_policy=RetryPolicy(max_attempts=settings.retries + 1, base_delay=settings.retry_delay,
                                 lock_wait=settings.lock_wait),
        timeout=settings.timeout,
        target_path=target_path,
        log_path=log_path,
        database_suffix=database_suffix,
    )
