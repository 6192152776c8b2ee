"""dbt's own log stays in dbt's log file, out of pytest's log capture and its reports."""

from __future__ import annotations

import logging

import pytest

from .runner import DBT_LOGGERS

# pytest's logging plugin and the handlers through which records reach reports and files.
LOGGING_PLUGIN = "logging-plugin"
HANDLERS = ("caplog_handler", "report_handler", "log_file_handler", "log_cli_handler")


class NotDbtsOwnLog(logging.Filter):
    """Passes every record but those of dbt's own loggers (``logs/dbt.log`` keeps them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name not in DBT_LOGGERS


FILTER = NotDbtsOwnLog()


def keep_dbt_out_of_capture(config: pytest.Config) -> int:
    """Put the filter on pytest's log handlers; how many it filters."""
    plugin = config.pluginmanager.get_plugin(LOGGING_PLUGIN)
    handlers = [h for h in (getattr(plugin, name, None) for name in HANDLERS) if isinstance(h, logging.Handler)]
    for handler in handlers:
        handler.addFilter(FILTER)
    return len(handlers)
